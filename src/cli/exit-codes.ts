/** Exit codes: 0 ok, 1 the model or package is wrong (a NeuropodError), 2 the command line is wrong. */
export const EXIT = { ok: 0, modelError: 1, usage: 2 } as const;
