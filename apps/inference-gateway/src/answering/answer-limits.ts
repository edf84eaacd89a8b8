/**
 * What one answer request may ask for, the same on every endpoint (`/v1/answers`, the gRPC
 * `Inference/Answer`), so that a question one accepts the other accepts too.
 */
export const defaultTopK = 5;
export const maxTopK = 50;
export const maxQuestionLength = 4096;
