"""One place stops every service on close: Session.close asks when one works, then stops all."""

from __future__ import annotations

from gui_helpers import make_window


class FakeJob:
    """A BackgroundService stand-in that is busy until shut down."""

    def __init__(self, text: str | None) -> None:
        self.text, self.stopped = text, False

    @property
    def busy_text(self) -> str | None:
        return None if self.stopped else self.text

    def shutdown(self) -> None:
        self.stopped = True


def test_close_asks_about_busy_services_and_stops_every_one(qtbot, settings):
    w = make_window(qtbot, settings)
    services = w.session.services
    names = {type(s).__name__ for s in services}
    assert {"SamService", "SamicService", "TransferService", "CheckpointDownloader"} <= names
    job, idle = FakeJob("Exporting 3 images."), FakeJob(None)
    w.session.add_service(job)
    w.session.add_service(idle)
    asked: list[list[str]] = []
    w.session.ask_stop = lambda busy: asked.append(busy) or False
    w.close()
    assert asked == [["Exporting 3 images."]]  # only the busy one is named
    assert w.isVisible() and not job.stopped and not idle.stopped  # "no": nothing stopped
    w.session.ask_stop = lambda busy: True
    w.close()
    assert not w.isVisible() and job.stopped and idle.stopped


def test_a_running_export_is_named_when_closing(qtbot, settings):
    w = make_window(qtbot, settings)
    transfer = next(s for s in w.session.services if type(s).__name__ == "TransferService")
    assert transfer.busy_text is None
    transfer._job.begin(object())  # as while a job runs
    assert "export or import" in transfer.busy_text
    transfer._job.end()
    w.close()
