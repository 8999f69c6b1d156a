"""The bundled run writes the same bytes as before the speed work (issue 11): every ``.xpt``, Dataset-JSON
``.json`` and ``define.xml`` of ``cdisckit run`` on the bundled study, pinned by sha256.

The hashes are data: they were computed once from main at 8a66c2b, sdtm/define.xml refreshed when trial design variables got origin Protocol (``cdisckit run --out OUT`` then
``sha256sum`` of ``OUT/sdtm/*`` and ``OUT/adam/*``). Speed work must not change them. When a change is MEANT to
change the output (a new variable, a fixed derivation, a new define.xml element), refresh them deliberately:

    cdisckit -q run --out /tmp/out && cd /tmp/out && sha256sum sdtm/*.xpt sdtm/*.json sdtm/define.xml \
        adam/*.xpt adam/*.json adam/define.xml

and say in the commit message which files changed and why.
"""

from __future__ import annotations

import hashlib

import pytest

PINNED = {
    "adam/adae.json": "679f98c3bf794c506d19d04e1457abf68a6eb5935d0cd8baf36e8b5e5f5570fa",
    "adam/adae.xpt": "911980cd6d33d8b3217480669ab0816b84c1c4f3785ffef815da6531b2792d07",
    "adam/adrs.json": "29028cbadb97bb21944fd8121b1d30c39301e20675157303a8d240853da1f857",
    "adam/adrs.xpt": "9f8e5fb944a19f8f6b73d5cf23b754842c27a7c04253ca1744f45b9abe3a17f6",
    "adam/adsl.json": "62a33409c67fc3171dcda9e132bb422cd3db7069d8e5a40798bb9158fc61e816",
    "adam/adsl.xpt": "54ab54d39e8e892acef4252bed59ff5d2c168f7a8141677a328f3b71893996b8",
    "adam/adtr.json": "2394c210a40652333f5490f77839aeffde5965cbe4aa4b1ec7de1044b6272fef",
    "adam/adtr.xpt": "97480a8733c05faf25787bfae916d088660e6bbcef1fa0933ba491c68d76bef4",
    "adam/adtte.json": "053017cd00d347d47cd63f06a3d137f4426c6f5c56a0c689fd00ee53ffabbf87",
    "adam/adtte.xpt": "d7ddab543aa070d97be39a3f225163e48e53ea36959cbee05059dd7d334d5f98",
    "adam/define.xml": "108209e6e94367e783f5f6328bb3c536f52160e6fe57e4a1bc1369b6e6fcdc14",
    "sdtm/ae.json": "4358c6f25df7c2aa35c93f0ed30b743a9aa56d18a82ac5099f83a957e63cc8ba",
    "sdtm/ae.xpt": "2d9e44f3c406163538add96f668f7689fcaff9fbacb6d593114610b0200cbf33",
    "sdtm/cm.json": "0fd932e5152b13e1a710fd0ae94dced14f105579d11a5b6a46c6347a0f61758e",
    "sdtm/cm.xpt": "74a9638fef4b2bf419b4b8c307884dbbaf4304bbff2ef31cffb6a587c39d5a18",
    "sdtm/dd.json": "325700c70864b3d8a595b57729dfd1931bb3165c6893b5b33c94d38afaecca64",
    "sdtm/dd.xpt": "d4e1ed0050ea28c9c380a0b240e3721a40723bdc25effed0838f16c42dd7c66c",
    "sdtm/define.xml": "e0aa7e1f5dc925303229e5b9be80247ac9c3bc7a905e8afab754f4a8e39eefc5",
    "sdtm/dm.json": "a12b56b3d193148c326d72998e4f4547490485c412dbe0b22dba24be26242e68",
    "sdtm/dm.xpt": "0eb4daae7dd5510025d072c6355b84e1e459dfbf8f94f7fcdc3abe3b8b40345f",
    "sdtm/ds.json": "2e354d89efdb86d1b61d19692bb2717a4f2c71e217b8267ab308f10278b8ba2a",
    "sdtm/ds.xpt": "db629095fb0ccdc26abb7961244214a5d56d7ee2d13419b13e4461eae008ecd2",
    "sdtm/ex.json": "0365dd1a1da621dfb2f01cf646d27c667ee4ee7c271b12188bbd5d97cb760fb1",
    "sdtm/ex.xpt": "d799225a095dc6deebe46928afa206973f1b0ee1827f92870cff6f81b1a9699d",
    "sdtm/rs.json": "9cbde91f5259b17f7ac5569f8334f55f2ba75c62ecfd82c20be066515a070dea",
    "sdtm/rs.xpt": "5cc1ba164c7c472215e76347fe78ab1af21641ca03550fd29cc21de096a1626b",
    "sdtm/se.json": "13a2e37bf6add680d87b1452563263d15ade516a4237c35c369106fa4240fe2f",
    "sdtm/se.xpt": "a5a4b1f2839929b1b9d8c40e619a548732361ef11f9507bccfb6a5b12ab92f01",
    "sdtm/suppae.json": "10875d922719556eea423962c6cc05599eda061efdf4a67ee6cd14ae2f3e4e5d",
    "sdtm/suppae.xpt": "48e2757b5bbcbaa228b24617ecb72040c0b3e735be3e47039b0fab56921988a4",
    "sdtm/suppdm.json": "0be311f483482b1435016fc72ccb28ce1093811907b9798bfb2f055ca02daf46",
    "sdtm/suppdm.xpt": "261f74845f44aa8b0b4c8537e9a7e7772c664b13a740af091e4baa015f4b52b6",
    "sdtm/sv.json": "611b098c22786893472926c165780d0d42734df3ec4be73895f7b4ce89c0100e",
    "sdtm/sv.xpt": "09879b69304712134c1cd156629ee777f1c792087a2b47fbe1a97c28823f7d1d",
    "sdtm/ta.json": "a5e81b27d4d8affa8fc0e5a40d2f0bd69ed88d6b8ac417b63846a327a8f3344a",
    "sdtm/ta.xpt": "5915242f1da0ab1193dbea3cb18e15bbabc6df1df01ac17733f40f56ce509175",
    "sdtm/te.json": "a142ba92eb1c17eb0b22ca2e97e780ecfa4a1c54b46d4fe2299546618bc8e570",
    "sdtm/te.xpt": "82458ac8d27cb253d215504e9269e13bdfdcd5c020308a5115503d4c7481adc6",
    "sdtm/ti.json": "0c15f51b4e308281b775d004dd2cb9b80abf7401790c609027a3b7a6506f78a9",
    "sdtm/ti.xpt": "0ba85b7db983644325055c3bc29b9a8c709733c5c9e954e60c0bc50bfb551be1",
    "sdtm/tr.json": "b0d59690708205ada56de82b42aecf5b1f1eca2f3aa91c9c2c0c0359c4ebf979",
    "sdtm/tr.xpt": "ee948026b10858a45ce52794a63bebacf97fd1607ab613208083ebe4fce21e0d",
    "sdtm/ts.json": "f23ac1d9caa1495bcb230fd0b4bbde6ea25cac388ee86e7cfc2adc33e509d4cb",
    "sdtm/ts.xpt": "7eb5bff79b1fc1991d5446bee00a0fb99a8938a2f5fdf1509940a9eea036d54b",
    "sdtm/tu.json": "0d75d53ae7b6d4ba1975110a14c7df92e6a6f15154090da0e03a48b069747692",
    "sdtm/tu.xpt": "321b8cc5c60cdecb4e040a6bf1f3555d94928c5c4951bd059e8ad58ea279dc8d",
    "sdtm/tv.json": "576014bfaecb5a2d5e683d86cf9eb68dbd34bff24ef37ec0607350710071e1d2",
    "sdtm/tv.xpt": "1966f4cc9105ea31b09fd8e6ebe52f601a6b56d5c5726e3683a467534b35eed9",
}


def _written(out):
    return sorted(
        str(p.relative_to(out))
        for folder in ("sdtm", "adam")
        for p in (out / folder).iterdir()
        if p.suffix in (".xpt", ".json") or p.name == "define.xml"
    )


def test_the_bundled_run_writes_exactly_the_pinned_files(bundled_run):
    out, _ = bundled_run
    assert _written(out) == sorted(PINNED)


@pytest.mark.parametrize("rel", sorted(PINNED))
def test_every_output_file_has_the_bytes_main_wrote(bundled_run, rel):
    out, _ = bundled_run
    assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == PINNED[rel], (
        f"{rel} changed; if that is intended, refresh PINNED as the module docstring says"
    )
