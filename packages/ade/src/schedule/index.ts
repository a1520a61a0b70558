export { DEFAULT_TRIGGERS, type ScheduleAction, type ScheduleConfig, type TriggerConfig } from './schedule-config.js';
export { parseSchedules, parseTriggers } from './parse-schedules.js';
export { cronProblem } from './cron-timer.js';
export { ModelBuilds, type BuildOutcome, type BuildRequest, type CurrentBuild } from './model-builds.js';
export { CommitTrigger, type TriggerStatus } from './commit-trigger.js';
export { Scheduler, SCHEDULER_PRINCIPAL, type ScheduleStatus, type SchedulerConfig, type SchedulerStatus } from './scheduler.js';
export type { RunRecord } from './run-record.js';
