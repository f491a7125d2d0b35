/** Polls `done` every `everyMs` until it holds; fails after `ms`. */
export async function eventually(
  done: () => boolean | Promise<boolean>,
  ms = 10_000,
  everyMs = 20,
): Promise<void> {
  const until = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > until) throw new Error(`not within ${ms} ms`);
    await new Promise((resume) => setTimeout(resume, everyMs));
  }
}
