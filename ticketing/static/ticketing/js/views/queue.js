// The waiting room of an event that has one: the buyer joins the line (POST /events/{id}/queue/),
// then polls it with the token it gave (GET, header Queue-Token: no login needed, no database
// read on the server) as often as the server suggests. Before opening it says when sales open
// and how many are waiting (everyone here then gets a random place); after, the place in line,
// how many are ahead and the estimated wait. Admitted, the pass is kept for this tab and event
// (sessionStorage) and the buyer goes on to the seat map, whose holds send it (Queue-Pass).

import { api, session } from "../api.js";
import { announce, eventTitle, h, message, number, plural, when } from "../ui.js";

const PASS_KEY = (eventId) => `frontrow.queue-pass.${eventId}`;
const RETRY_SECONDS = [2, 4, 8, 15];

/** The stored pass of this buyer for this event, if it has not run out. */
export function queuePass(eventId) {
  try {
    const stored = JSON.parse(sessionStorage.getItem(PASS_KEY(eventId)) || "null");
    if (!stored || stored.user !== (session.user?.id ?? null)) return null;
    if (Date.parse(stored.expires) <= Date.now() + 5000) return null;
    return stored.pass;
  } catch {
    return null;
  }
}

/** Headers for a hold on this event: its pass when it has a waiting room. */
export function queueHeaders(eventId) {
  const pass = queuePass(eventId);
  return pass ? { "Queue-Pass": pass } : {};
}

export function forgetQueuePass(eventId) {
  sessionStorage.removeItem(PASS_KEY(eventId));
}

function keepPass(eventId, answer) {
  sessionStorage.setItem(
    PASS_KEY(eventId),
    JSON.stringify({ pass: answer.pass, expires: answer.pass_expires_at, user: session.user?.id ?? null }),
  );
}

/** "about 3 minutes", "less than a minute", "about 2 hours". */
function waitText(seconds) {
  if (seconds < 60) return "less than a minute";
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `about ${plural(minutes, "minute")}`;
  return `about ${plural(Math.round(minutes / 60), "hour")}`;
}

/**
 * Draw the waiting room of `event` into `root`; `onAdmitted()` once the buyer holds a pass.
 * Returns the cleanup (stops polling).
 */
export function waitingRoomView(root, event, { onAdmitted }) {
  const eventId = event.id;
  const zone = event.venue_time_zone;
  let timer = null;
  let stopped = false;
  let token = null;
  let attempt = 0;
  let lastSpoken = "";
  let lastNotes = "";
  const notices = new Set(); // requeued, pass_expired: said until the page is left

  const opens = h("p", { class: "queue-opens" });
  const status = h("div", { class: "queue-status" });
  // What screen readers hear: the place when it changes by a step worth saying, not every poll.
  const spokenBox = h("p", { class: "sr-only", role: "status", "aria-live": "polite", "aria-atomic": "true" });
  const notes = h("div", { class: "queue-notes" });
  const check = h(
    "button",
    { type: "button", class: "btn btn-ghost", "data-key": "queue-check", onclick: () => poll(true) },
    "Check now",
  );
  root.replaceChildren(
    h(
      "section",
      { class: "queue", "aria-labelledby": "queue-title" },
      h("p", { class: "muted" }, event.venue_name ? `${event.venue_name}, ${event.city}` : ""),
      h("h1", { id: "queue-title", tabindex: "-1" }, eventTitle(event)),
      h("h2", { class: "queue-subtitle" }, "Waiting room"),
      opens,
      status,
      spokenBox,
      notes,
      h("p", { class: "queue-actions" }, check, " ", h("a", { href: "#/" }, "Leave and see all events")),
      h(
        "p",
        { class: "muted queue-help" },
        "Keep this page open: it updates by itself. Your place is kept if you reload it.",
      ),
    ),
  );
  opens.textContent = `Sales open ${when(event.waiting_room.opens_at, zone)}.`;

  function say(lines, kind = "info") {
    status.replaceChildren(
      ...lines.map((line, i) => (i === 0 ? h("p", { class: `queue-line queue-${kind}` }, h("strong", {}, line)) : h("p", {}, line))),
    );
  }

  function renderNotes(answer) {
    if (answer.requeued) notices.add("requeued");
    if (answer.pass_expired) notices.add("expired");
    const boxes = [];
    if (notices.has("requeued")) {
      boxes.push(
        message(
          "warning",
          "The line was restarted.",
          "We had a technical problem and the waiting line had to start again; you have a new place in it. Sorry for the wait.",
        ),
      );
    }
    if (notices.has("expired")) {
      boxes.push(
        message("warning", "Your turn ended.", "Your time to pick seats ran out before you held any, so you are back in the line."),
      );
    }
    const key = `${[...notices].join()}|${answer.sold_out}`;
    if (key === lastNotes) return; // alerts are read when they come, not at every poll
    lastNotes = key;
    if (answer.sold_out) {
      boxes.push(
        message(
          "error",
          "Sold out.",
          "Every seat of this event is booked. Seats may come back if bookings are cancelled; you can keep your place or leave.",
        ),
      );
    }
    notes.replaceChildren(...boxes);
  }

  function render(answer) {
    opens.textContent = answer.opened
      ? `Sales opened ${when(answer.opens_at, zone)}. ${plural(answer.admit_per_minute, "buyer")} a minute go through to the seats.`
      : `Sales open ${when(answer.opens_at, zone)}.`;
    renderNotes(answer);
    if (!answer.opened) {
      say([
        "You are in the waiting room.",
        `${answer.waiting === 1 ? "1 person is" : `${number(answer.waiting)} people are`} waiting. When sales open, everyone here gets a place in line at random: arriving early gives no advantage, arriving before the opening does.`,
        `Opening in ${waitText(answer.estimated_wait_s)}.`,
      ]);
    } else {
      say([
        `You are number ${number(answer.position)} in line.`,
        answer.ahead === 0 ? "Nobody is ahead of you: you are next." : `${plural(answer.ahead, "person", "people")} ahead of you.`,
        `Estimated wait: ${waitText(answer.estimated_wait_s)}.`,
      ]);
    }
    // Said in steps (every place near the front, tens then hundreds further back).
    const p = answer.position;
    const step = p <= 10 ? p : p <= 100 ? Math.ceil(p / 10) * 10 : Math.ceil(p / 100) * 100;
    const spoken = answer.opened
      ? `You are number ${number(step)}${step === p ? "" : " or fewer"} in line. Estimated wait: ${waitText(answer.estimated_wait_s)}.`
      : `You are in the waiting room. Sales open ${when(answer.opens_at, zone)}.`;
    if (spoken !== lastSpoken) {
      lastSpoken = spoken;
      spokenBox.textContent = spoken;
    }
  }

  function admitted(answer) {
    keepPass(eventId, answer);
    stopped = true;
    clearTimeout(timer);
    say(["It is your turn!", "Taking you to the seats…"], "success");
    announce("It is your turn. Taking you to the seat map.");
    onAdmitted();
  }

  async function poll(now = false) {
    if (stopped) return;
    clearTimeout(timer);
    try {
      const answer = token
        ? await api(`/events/${eventId}/queue/`, { headers: { "Queue-Token": token } })
        : await api(`/events/${eventId}/queue/`, { method: "POST" });
      if (stopped) return;
      attempt = 0;
      token = answer.token;
      if (answer.status === "admitted") {
        admitted(answer);
        return;
      }
      render(answer);
      schedule(answer.poll_after_s || 5);
    } catch (error) {
      if (stopped) return;
      if (error.status === 404) {
        onAdmitted(); // the waiting room was removed: straight to the seats
        return;
      }
      if (error.status === 400) token = null; // a token of a line that is gone: join again
      const wait = RETRY_SECONDS[Math.min(attempt, RETRY_SECONDS.length - 1)];
      attempt += 1;
      say([`We could not reach the waiting room.`, `${error.message} Trying again in ${plural(wait, "second")}; your place is kept.`], "warning");
      schedule(wait);
    }
    if (now) check.focus();
  }

  function schedule(seconds) {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(() => (document.hidden ? schedule(seconds) : poll()), seconds * 1000);
  }

  if (!session.loggedIn) {
    check.hidden = true;
    say(["Log in to join the waiting room."]);
    status.append(
      h("p", {}, h("a", { class: "btn btn-primary", href: `#/login?next=${encodeURIComponent(`/events/${eventId}`)}` }, "Log in to join")),
    );
  } else {
    say(["Joining the waiting room…"]);
    poll();
  }
  root.querySelector("h1").focus({ preventScroll: true });

  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
