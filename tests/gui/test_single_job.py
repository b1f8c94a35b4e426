"""SingleJob, the skeleton of every single-job service and controller: one job at a time, its
own progress only, a cancel forwarded to it, forgotten when its last report comes."""

from __future__ import annotations

from sambox.model.single_job import SingleJob


def test_one_job_its_progress_its_cancel_its_end() -> None:
    cancelled: list[str] = []
    seen: list[tuple[str, ...]] = []
    job: SingleJob[str] = SingleJob(cancel=cancelled.append)
    progress = job.relay(lambda *a: seen.append(("progress", *a)))
    done = job.ending(lambda j, *a: seen.append(("done", j, *a)))

    progress(1, 2)  # no job of ours runs: another's progress is not passed on
    done("report")
    job.cancel()
    assert seen == [] and cancelled == [] and not job.running

    assert job.begin("export") and job.job == "export"
    assert not job.begin("import") and job.job == "export"  # a second one is refused
    progress(1, 2)
    job.cancel()
    done("report")
    assert seen == [("progress", 1, 2), ("done", "export", "report")]
    assert cancelled == ["export"] and not job.running and job.job is None
    done("late")  # a second last word of the same job changes nothing
    assert seen[-1] == ("done", "export", "report")
