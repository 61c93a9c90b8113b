/**
 * agentcheck's public library API: the one barrel. Explicit named exports only.
 */
export { AgentcheckError, ExitCode, isAgentcheckError } from './errors.js';
export type { AgentcheckErrorCode, ExitCodeValue } from './errors.js';
export { defineScenario } from './scenario/define.js';
export { loadScenarioFile, parseScenarioText, scenarioFromValue, ScenarioValidationError } from './scenario/load.js';
export type { LoadScenarioOptions, ScenarioIssue } from './scenario/load.js';
export { parseDuration, formatDuration } from './scenario/duration.js';
export { scenarioJsonSchema } from './scenario/json-schema.js';
export { toxicRequestBody } from './scenario/fault-toxic.js';
export type {
  Scenario,
  ScenarioAgent,
  ScenarioEdge,
  ScenarioFault,
  ScenarioPhase,
  ScenarioLoad,
  ScenarioRequest,
  ScenarioSlo,
  ScenarioInvariant,
  Readiness,
  ScenarioInput,
  AgentInput,
  EdgeInput,
  PhaseInput,
  FaultInput,
  FaultMatchInput,
  LoadInput,
  RequestInput,
  SloInput,
  InvariantInput,
  ChaosInput,
  DurationInput,
  CommandInput,
  HttpMethod,
} from './scenario/types.js';
export type { ToxicRequestBody } from './scenario/fault-toxic.js';
export { startProxyServer } from './chaos/server.js';
export type { ProxyServer, ProxyServerOptions } from './chaos/server.js';
export type { ProxyConfig, Proxy } from './chaos/proxy.js';
export type { ProxyCollection } from './chaos/proxy-collection.js';
export { createRng } from './chaos/rng.js';
export type { Rng } from './chaos/rng.js';
export { registerToxic, toxicDefinition, toxicDefinitions } from './chaos/toxics/registry.js';
export { registerProtocol } from './chaos/protocols.js';
export type { ProtocolHandler } from './chaos/protocols.js';
export type { Connection } from './chaos/connection.js';
export { fetchJournal, fetchEdgeRecords, readJournal, readEdgeRecords } from './chaos/http/client.js';
export type { FetchLogOptions, ProxyLookup } from './chaos/http/client.js';
export { parseJournal } from './chaos/journal.js';
export type { JournalEntry, SkipReason } from './chaos/journal.js';
export type { DecisionValue, ReplayDecision } from './chaos/http/decision.js';
export { requestIdentity } from './chaos/http/identity.js';
export { JOURNAL_FILE, readJournalFile } from './scenario/journal-file.js';
export type { SavedJournalEntry } from './scenario/journal-file.js';
export { judgeReplay, replayCommand, scenarioForReplay } from './scenario/replay.js';
export { shrinkRun } from './scenario/shrink.js';
export type { FaultDecision, ShrinkOutcome, ShrinkRunOptions } from './scenario/shrink.js';
export { parseEdgeRecords } from './chaos/http/records.js';
export type { EdgeRecord, EdgeOutcome } from './chaos/http/records.js';
export { httpProtocol } from './chaos/http/protocol.js';
export type { HttpMessageToxicDefinition, MessageAction, CompiledMessageToxic } from './chaos/http/message-toxic.js';
export { drawLatency, LATENCY_DISTRIBUTIONS } from './chaos/http/distribution.js';
export type { LatencySpec, LatencyDistribution } from './chaos/http/distribution.js';
export { natsProtocol } from './chaos/nats/protocol.js';
export { fetchPublishedMessages, fetchSubjectRecords, readPublishedMessages, readSubjectRecords, readNatsJournal, subjectTotals } from './chaos/nats/client.js';
export type { PublishedMessage } from './chaos/nats/capture.js';
export type { SubjectTotals } from './chaos/nats/client.js';
export { parseSubjectRecords } from './chaos/nats/records.js';
export type { SubjectRecord } from './chaos/nats/records.js';
export type { NatsJournalEntry } from './chaos/nats/state.js';
export type { NatsMessageToxicDefinition, NatsAction, CompiledNatsToxic } from './chaos/nats/message-toxic.js';
export type {
  Toxic,
  ToxicDefinition,
  StreamToxicDefinition,
  MessageToxicDefinition,
  StreamStage,
  StageContext,
  StageOutput,
  StreamDirection,
  ToxicSet,
  ToxicEvent,
  AttributeSpec,
  ToxicAttributes,
} from './chaos/toxic.js';
export { REPORT_VERSION } from './report/model.js';
export type {
  RunReport,
  Verdict,
  CheckStatus,
  LatencySummary,
  PhaseReport,
  TimePoint,
  FaultWindow,
  BudgetResult,
  InvariantResult,
  AgentReport,
  EdgeReport,
  CheckResult,
  BudgetWindowResult,
} from './report/model.js';
export { renderJson, parseReportJson } from './report/json.js';
export { renderJunit } from './report/junit.js';
export { renderMarkdown } from './report/markdown.js';
export type { MarkdownOptions } from './report/markdown.js';
export { renderHtml } from './report/html.js';
export type { HtmlOptions } from './report/html.js';
export {
  writeReports,
  writeReportsSync,
  appendStepSummary,
  appendStepSummarySync,
  defaultRunDir,
  parseReportFormats,
  REPORT_FORMATS,
  REPORT_FILE_NAMES,
} from './report/write.js';
export type { ReportFormat, ReportPaths } from './report/write.js';
export { createProgress } from './report/progress.js';
export type { Progress, ProgressOptions, ProgressSnapshot, ProgressStream } from './report/progress.js';
export { judgeReport, exitCodeForVerdict } from './report/verdict.js';
export type { Judgement } from './report/verdict.js';
export { checkIdempotency, assertIdempotent, IdempotencyAssertionError } from './idempotency/in-process.js';
export type {
  CheckIdempotencyOptions,
  ExpectedStatuses,
  HandlerContext,
  HandlerRequest,
  HandlerResponse,
  IdempotentSystem,
  KeyedEffect,
  SystemFactory,
} from './idempotency/in-process.js';
export { checkHttpIdempotency } from './idempotency/black-box.js';
export type { HttpCheckOptions } from './idempotency/black-box.js';
export { loadIdempotencySpec, parseIdempotencySpec } from './idempotency/spec.js';
export type { IdempotencySpec } from './idempotency/spec.js';
export { checkExactlyOnce } from './idempotency/exactly-once.js';
export type { ExactlyOnceResult, ExactlyOnceOptions, ExactlyOnceStatus, KeyJudgement, KeyVerdict, RecordedEffect } from './idempotency/exactly-once.js';
export { History, outcomesByKey } from './idempotency/history.js';
export type { HistoryEvent, HistoryEventType, KeyOutcome } from './idempotency/history.js';
export { shrinkFaultSchedule } from './idempotency/shrink.js';
export type { ShrinkOptions, ShrinkResult } from './idempotency/shrink.js';
export { ManualClock, systemClock } from './idempotency/clock.js';
export type { Clock } from './idempotency/clock.js';
export { arbitraryFromSchema, invalidArbitraryFromSchema } from './idempotency/json-schema.js';
export type { JsonSchema } from './idempotency/json-schema.js';
export { idempotencyRunReport } from './idempotency/report.js';
export { IDEMPOTENCY_PROPERTIES } from './idempotency/types.js';
export type { IdempotencyCheckResult, IdempotencyProperty, PropertyOutcome, PropertyStatus, PropertyCounterexample } from './idempotency/types.js';
export { AgentContract, HttpInteraction, EventInteraction, ContractTestError, MatchersV3 } from './contracts/consumer.js';
export type { AgentContractOptions, HttpRequestSpec, HttpResponseSpec, HttpExchange, ContractMockServer, ContractMessage } from './contracts/consumer.js';
export { TRACEPARENT_PATTERN, TRACEPARENT_EXAMPLE, traceparentMatcher, idempotencyKeyMatcher, isoTimestamp, nonEmptyString } from './contracts/conventions.js';
export type { IdempotencyKeySpec, Matchable } from './contracts/conventions.js';
export { defineProviderStates, stateHandlers, isProviderStateHandlers, checkStateParams } from './contracts/states.js';
export type {
  ProviderStates,
  ProviderStateRef,
  ProviderStateHandlers,
  StateDeclarations,
  StateSchema,
  ParamKind,
  StateContext,
  StateHandler,
  StateHandlerMap,
  MessageProducer,
  MessageContext,
  ProducedMessage,
} from './contracts/states.js';
export { a2aSendMessage, a2aGetTask, a2aCancelTask, a2aAgentCard, a2aJsonRpcError, a2aTask, a2aArtifact, a2aDataPart, a2aTextPart, a2aTaskState, a2aRole, A2A_METHODS } from './contracts/a2a.js';
export type { A2AVersion, A2ATaskState, A2ACommon, A2ASendMessageSpec, A2ATaskSpec, A2ATaskQuerySpec, A2AErrorSpec, A2AAgentCardSpec } from './contracts/a2a.js';
export { mcpToolsCall, mcpToolsList, mcpInitialize, mcpInitialized, MCP_PROTOCOL_VERSION } from './contracts/mcp.js';
export type { McpCommon, McpToolsCallSpec, McpToolsListSpec, McpInitializeSpec } from './contracts/mcp.js';
export { verifyContracts, defaultProviderVersion, missingStates } from './contracts/verify.js';
export type {
  VerifyContractsOptions,
  BrokerOptions,
  StateHandlerSet,
  ContractsVerification,
  ProviderVerification,
  PactVerification,
  InteractionVerification,
  MissingState,
} from './contracts/verify.js';
export type { ContractMismatch, MismatchKind } from './contracts/mismatch.js';
export { readPact, readPactDir, parsePact } from './contracts/pact-file.js';
export type { PactFile, PactInteraction } from './contracts/pact-file.js';
export { readRecords, writeRecords, parseRecord } from './contracts/records.js';
export type { VerificationRecord, RecordResult } from './contracts/records.js';
export { buildMatrix, canIDeploy } from './contracts/matrix.js';
export type { MatrixRow, MatrixOutcome, CanIDeployResult, CanIDeployOptions, DeployCheck } from './contracts/matrix.js';
export { renderVerification, verificationRunReport, renderMatrix, renderCanIDeploy } from './contracts/report.js';
export { loadStateHandlers } from './contracts/load-handlers.js';
export { createLoadDriver, runLoad, checkReachable } from './load/driver.js';
export type { LoadDriver, LoadDriverOptions, LoadResult, LoadPhase, PhaseOptions, RequestTemplate, HistoryEvent as LoadHistoryEvent } from './load/driver.js';
export { LatencyRecorder, toPhaseReports, WINDOWS_PER_PHASE } from './load/recorder.js';
export type { RecordedSeries, PhaseData, WindowData, SpanData, Outcome, RecorderOptions } from './load/recorder.js';
export { createLatencyHistogram, summarizeHistogram, countSlowerThan, encodeHistogram, decodeHistogram } from './load/histogram.js';
export type { LatencyHistogram } from './load/histogram.js';
export { parseBudget, formatBudget, BudgetError, BudgetSyntaxError } from './load/budget-grammar.js';
export type { BudgetAst, BudgetOp, BudgetStat, BudgetUnit } from './load/budget-grammar.js';
export { validateBudget, compileBudget, compileBudgets, evaluateBudget, evaluateBudgets, budgetsStatus, validMetricNames } from './load/budget.js';
export type { Budget, BudgetContext, BudgetSpec, BudgetData, BudgetMeasure } from './load/budget.js';
export { burnRate, classifyBurnRate, burnRateOfHistory, BURN_RATE_FAIL, BURN_RATE_WARN } from './load/burn-rate.js';
export type { BurnEvent, BurnRateResult } from './load/burn-rate.js';
export { attributeTail, edgeTimes } from './load/attribution.js';
export type { WorkflowSample, HopRecord, TailAttribution, TailOptions } from './load/attribution.js';
export { budgetsFromOpenSlo, loadOpenSlo } from './load/openslo.js';
export { judgeGenerator } from './load/health.js';
export type { GeneratorStats, HealthLimits, Validity } from './load/health.js';
export { parseTraceparent, traceIdOf } from './trace/traceparent.js';
export type { TraceContext } from './trace/traceparent.js';
export { startContainerTeam, runLeftovers, PROXY_ALIAS } from './scenario/runtimes/containers.js';
export type { ContainerTeam, ContainerTeamOptions } from './scenario/runtimes/containers.js';
export type { ContainerAgent } from './scenario/runtimes/containers-agent.js';
export { RUN_LABEL, removeRunResources } from './scenario/runtimes/containers-cleanup.js';
export { checkDockerEngine, dockerAvailable } from './images/engine.js';
export type { DockerEngine } from './images/engine.js';
export { buildBaseImage, DEFAULT_BASE_TAG } from './images/base.js';
export type { BaseImageResult, BuildBaseOptions } from './images/base.js';
export { buildProxyImage, DEFAULT_PROXY_TAG } from './images/proxy-image.js';
export type { AppImageOptions, ImageResult } from './images/proxy-image.js';
export { buildTeamImage, DEFAULT_TEAM_TAG } from './images/team-image.js';
