"""Background upload jobs: list them, watch one, cancel one (``assistant.application.jobs``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from assistant.api.deps import get_service
from assistant.api.schemas import ERROR_RESPONSES, NOT_FOUND, ErrorResponse, JobList
from assistant.application.job_store import Job, JobState
from assistant.application.service import AssistantService

router = APIRouter(prefix="/api/v1", tags=["jobs"], responses=ERROR_RESPONSES)
Service = Annotated[AssistantService, Depends(get_service)]
JobId = Annotated[str, Path(min_length=1, max_length=64, description="A job id.")]


@router.get("/jobs", response_model=JobList, summary="Recent upload jobs, newest first")
def list_jobs(
    service: Service,
    limit: Annotated[int, Query(ge=1, le=1000)] = 20,
    state: Annotated[JobState | None, Query(description="Only jobs in this state.")] = None,
) -> JobList:
    """Every upload job on this data folder, whoever started it (the API, the web UI) and
    whether or not its client is still there; running ones with their latest progress."""
    jobs = service.recent_jobs(limit, state)
    return JobList(count=len(jobs), jobs=jobs)


@router.get(
    "/jobs/{job_id}",
    response_model=Job,
    responses=NOT_FOUND,
    summary="One upload job: state, progress, result or error",
)
def get_job(job_id: JobId, service: Service) -> Job:
    """``state``: queued, running, succeeded, failed or cancelled. ``progress``: the stage and
    the passages (with their sentences) embedded of the total. ``result`` (succeeded): the
    document id, status (added, updated, unchanged, duplicate) and passage count, as a
    synchronous upload answers. ``error`` (failed): code, message and the HTTP status the same
    upload would have been refused with; ``interrupted`` when the server stopped mid-job."""
    return service.job(job_id)


@router.delete(
    "/jobs/{job_id}",
    response_model=Job,
    responses={
        **NOT_FOUND,
        202: {"model": Job, "description": "Asked to stop; still running (poll the job)"},
        409: {"model": ErrorResponse, "description": "The job has already ended"},
    },
    summary="Cancel an upload job",
)
def cancel_job(job_id: JobId, service: Service, response: Response) -> Job:
    """A queued job is cancelled at once; a running one stops at its next progress report
    (within about a second while it embeds) and commits nothing: 200 with the job cancelled,
    or 202 while it is still stopping. A job whose embedding had finished goes on to commit
    and ends succeeded. 409 if the job had already ended."""
    job = service.cancel_job(job_id)
    if job.state in ("queued", "running"):
        response.status_code = 202
    return job
