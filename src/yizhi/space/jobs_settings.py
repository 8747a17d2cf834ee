"""Settings of Tier B (sandboxed jobs and the output airlock): ``YIZHI_SPACE_*``."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

GIB = 1 << 30
MIB = 1 << 20


class SandboxSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YIZHI_SPACE_", extra="ignore")

    job_timeout: int = Field(default=1800, ge=1, le=7 * 24 * 3600,
                             description="Wall-clock seconds a Tier B job may run before it is killed.")
    job_memory: int = Field(default=4 * GIB, ge=64 * MIB,
                            description="Address-space limit of a Tier B job in bytes (RLIMIT_AS; at most 4 GiB by default).")
    job_cpu_seconds: int = Field(default=3600, ge=1,
                                 description="CPU seconds a Tier B job may use (RLIMIT_CPU) before it is killed.")
    job_processes: int = Field(default=64, ge=4,
                               description="Processes and threads a Tier B job may have at once (RLIMIT_NPROC).")
    job_open_files: int = Field(default=256, ge=32, description="Open files a Tier B job may hold (RLIMIT_NOFILE).")
    job_tmp_size: int = Field(default=512 * MIB, ge=MIB,
                              description="Size in bytes of a Tier B job's private /tmp (memory-backed).")
    output_max: int = Field(default=200 * MIB, ge=1024,
                            description="Bytes a Tier B job may write to /output in all; the job is stopped past it.")
    output_file_max: int = Field(default=100 * MIB, ge=1024,
                                 description="Largest single output file in bytes (RLIMIT_FSIZE); larger writes fail.")
    output_files_max: int = Field(default=200, ge=1, description="Files a Tier B job may leave in /output.")
    project_max: int = Field(default=20 * MIB, ge=1024,
                             description="Largest project upload (zip) in bytes, and the most it may unpack to.")
    sandbox_uid: int = Field(default=1_000_000, ge=1000, le=(1 << 31) - 1 - (1 << 16),
                             description="When the platform runs as root, the first of the host uids (and gids) Tier B "
                                         "jobs run as, one uid per running job; no account or subordinate-id range may use them.")
    sandbox_uids: int = Field(default=256, ge=1, le=1 << 16,
                              description="How many uids from YIZHI_SPACE_SANDBOX_UID on are kept for Tier B jobs "
                                          "(the most jobs that run at once on one host).")
    sandbox_uid_locks: str = Field(default="/run/yizhi-sandbox-uids",
                                   description="Host-wide folder of the sandbox uids' lease files (root's only).")
    mia_max_auc: float = Field(default=0.75, ge=0.5, le=1.0,
                               description="A released model whose membership-inference attack AUC reaches this is refused.")
    bwrap: str = Field(default="bwrap", description="The bubblewrap executable that sandboxes Tier B jobs.")
