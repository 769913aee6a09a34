/**
 * The logger type every component receives (a pino logger or a child of one). Components never
 * create loggers or call console.*; node/ creates the root and passes scoped children down.
 */
export type { Logger } from 'pino'
