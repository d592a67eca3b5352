// Error classes: one base, one subclass per boundary, each message naming the thing and the fix.

/** Base class of every error this package throws; `code` is stable for programs to test. */
export class CodeCarbonError extends Error {
  override name = 'CodeCarbonError';
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A configuration value that cannot be used; names the key, where it came from and the form. */
export class ConfigError extends CodeCarbonError {
  override name = 'ConfigError';
  readonly key: string;
  readonly origin: string;
  /** The message without the key and origin: what is wrong and the fix. */
  readonly detail: string;
  constructor(key: string, origin: string, message: string) {
    super('ERR_CODECARBON_CONFIG', `${key} (from ${origin}): ${message}`);
    this.key = key;
    this.origin = origin;
    this.detail = message;
  }
}

/** A hardware source that cannot be opened at all. */
export class SourceUnavailableError extends CodeCarbonError {
  override name = 'SourceUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CODECARBON_SOURCE_UNAVAILABLE', message, options);
  }
}

/** A counter file that exists but may not be read; the message says how to allow it. */
export class SourcePermissionError extends CodeCarbonError {
  override name = 'SourcePermissionError';
  readonly path: string;
  constructor(path: string, message: string) {
    super('ERR_CODECARBON_SOURCE_PERMISSION', message);
    this.path = path;
  }
}

/** The sampler thread failed; what it had already measured stays readable. */
export class SamplerError extends CodeCarbonError {
  override name = 'SamplerError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CODECARBON_SAMPLER', message, options);
  }
}
