// The agent loop's public surface: runAgent plus the key formats and helpers the engine may reuse.
export { runAgent } from './loop';
export { modelJournalKey, modelRequestId, stepTag, toolJournalKey, toolRequestId, type ModelCallRecord, type ToolCallRecord } from './journal';
export { renderInput, MAX_TOOL_OUTPUT_BYTES } from './conversation';
export { checkAnswer, parseJsonAnswer, validateSchema } from './output-schema';
export { readSettings, DEFAULT_MAX_STEPS, type AgentSettings } from './settings';
export { MAX_TRACE_ROWS } from './trace';
