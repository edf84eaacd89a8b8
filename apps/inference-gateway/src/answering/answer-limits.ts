/**
 * What one request may ask for, the same on every endpoint (`/v1/answers`, `/v1/chat/completions`,
 * the gRPC `Inference/Answer`), so that a question one accepts the others accept too. Every limit
 * is far above what a real client sends, and each is checked at the edge, naming the field, before
 * any policy check, search or model call runs (the README lists them).
 */
export const defaultTopK = 5;
export const maxTopK = 50;
/** The question is also the search query: retrieval takes at most this many characters. */
export const maxQuestionLength = 4096;

/** Exact-match metadata filters of `/v1/answers`, as retrieval accepts them. */
export const maxFilters = 16;
export const filterKeyPattern = /^[A-Za-z0-9_-]{1,64}$/;
export const maxFilterValueLength = 1024;

/** The caller's ACL groups as an internal (gRPC) caller sends them. */
export const maxAclGroups = 256;
export const maxAclGroupLength = 256;

/** Ids and names a caller sends: tenant ids, model names, OpenAI's `user`. */
export const maxTenantIdLength = 512;
export const maxModelNameLength = 256;
export const maxNameLength = 512;

/** `/v1/chat/completions`: the conversation around the question. */
export const maxChatMessages = 1024;
/** One message's text (a long system prompt, a pasted document in the history). */
export const maxMessageLength = 131_072;
export const maxContentParts = 256;
/** Every message's text together. */
export const maxConversationLength = 524_288;
/** `max_tokens` / `max_completion_tokens`. */
export const maxCompletionTokens = 1_048_576;
