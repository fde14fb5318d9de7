"""convsim.ScenarioError: bad input (a scenario, sweep, result file or argument), with where it is."""


class ScenarioError(ValueError):
    """Bad input, raised where the convsim CLI ends with exit code 2.

    Attributes: ``file`` (the file, or ``"<command line>"``/``"<arguments>"``), ``line`` (1-based,
    0 when unknown), ``key`` (the dotted key, e.g. ``sectors.health_care.barrier``, or ``""``) and
    ``detail`` (the message without the location). ``str(error)`` is the CLI's message.
    """

    def __init__(self, message, file="", line=0, key="", detail=""):
        super().__init__(message)
        self.file = file
        self.line = line
        self.key = key
        self.detail = detail or message
