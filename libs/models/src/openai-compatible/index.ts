export { createOpenAiCompatibleProvider, type OpenAiCompatibleOptions } from './openai-compatible-provider.js';
