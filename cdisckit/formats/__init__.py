"""File formats, one module each, readers beside writers: XPT v5 (:mod:`.xpt`), Dataset-JSON 1.1
(:mod:`.datasetjson`, :mod:`.datasetjson_read`); shared pieces: IBM doubles (:mod:`.ibm`), fixed-width text
and its encodings (:mod:`.text`)."""
