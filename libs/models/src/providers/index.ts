export { createAnthropicProvider, defaultAnthropicVersion } from '../anthropic/index.js';
export { createOpenAiCompatibleProvider } from '../openai-compatible/index.js';
export type { ModelProvider } from './provider.js';
