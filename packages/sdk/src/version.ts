/** This SDK's version, sent as `context.library.version`. */
export const SDK_VERSION = '0.1.0';
