/**
 * The workflow's clock, never behind a timer that fired. A worker that had just restarted once ran
 * the task that fired a timer with the previous task's timestamp (soak, 1 invoice in 1,617): code
 * that compared the clock with the timer's deadline decided "not yet", armed the timer again, and
 * left a history that no worker could replay. A fired timer proves its deadline passed, so that
 * deadline is a floor. When the clock is right (a task starts after its timer fired) the floor is
 * below it and changes nothing, so no history recorded without it replays differently.
 */
export function timerClock() {
  let floor = 0;
  return {
    now: (): number => Math.max(Date.now(), floor),
    /** Records that a timer due at `deadline` (epoch ms) has fired. */
    fired(deadline: number): void {
      floor = Math.max(floor, deadline);
    },
  };
}
