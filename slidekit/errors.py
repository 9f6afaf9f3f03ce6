"""The build's exceptions: one problem carries a file and a line.

``build()`` collects every problem of a run before it fails, so one run lists
all the missing images, not just the first. ``build_slides.py`` catches
``BuildError`` once and prints each problem as ``slides/x.md:12: message``.
"""


class BuildError(Exception):
    """Base of everything the build reports to the user instead of a traceback."""

    def lines(self):
        """The messages to print, one per line."""
        return [str(self)]


class SlideError(BuildError):
    """A problem at one place in one source file."""

    def __init__(self, message, file=None, line=None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line

    def __str__(self):
        if self.file is None:
            return self.message
        if self.line is None:
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}: {self.message}"

    def __eq__(self, other):
        return isinstance(other, SlideError) and str(self) == str(other)

    def __hash__(self):
        return hash(str(self))


class BuildFailed(BuildError):
    """The build found one or more errors; nothing was written."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("\n".join(str(error) for error in self.errors))

    def lines(self):
        return [str(error) for error in self.errors]
