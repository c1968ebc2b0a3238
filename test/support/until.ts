/** Resolves once `condition` holds, looking every 5 ms: faults paced by progress, not by the clock. */
export function until(condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (condition()) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
}
