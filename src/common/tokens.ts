/** Injection token for the validated settings (config/settings.ts). */
export const SETTINGS = Symbol('SETTINGS');
