// Public surface of the tool runtime: the port, its factory, the contract and the callback broker.
export * from './contract';
export type * from './types';
export { createToolRuntime, type ToolRuntimeOptions } from './runtime';
export { CallbackBroker, type DeliverOutcome } from './callback-broker';
export { CALLBACK_PATH, callbackUrl } from './webhook-callback';
export { checkEgress, classifyAddress, type EgressOptions } from './ssrf';
export { SUPPORTED_TOOL_TYPES } from './unsupported';
