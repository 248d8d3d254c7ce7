/*
 * Site version 4: one click record per opened profile, sent to the click stream (module 5).
 *
 * Fire and forget: the page never waits for it, and a stream that is down costs nothing but
 * the record. `keepalive` lets the request finish even if the visitor leaves the page at once.
 */

/** A sender for `clicksUrl`, or one that does nothing when the site has no click stream. */
export function createClickSender(clicksUrl) {
  if (!clicksUrl) return () => {};
  return (mysfitId, userId) => {
    const record = userId ? { mysfitId, userId } : { mysfitId };
    try {
      fetch(clicksUrl, {
        method: "POST",
        keepalive: true,
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(record),
      }).catch(() => {}); // a lost click is not the visitor's problem
    } catch (error) {
      // fetch itself refused (e.g. too much keepalive data in flight): drop the click
    }
  };
}
