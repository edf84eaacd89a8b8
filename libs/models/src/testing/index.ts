export * from './fake-upstream.js';
