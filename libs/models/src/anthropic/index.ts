export { type AnthropicOptions, createAnthropicProvider, defaultAnthropicVersion } from './anthropic-provider.js';
