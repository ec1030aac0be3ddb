// Log in and sign up.

import { ApiError, logIn, signUp } from "../api.js";
import { flash, h, message } from "../ui.js";

function nextPath(query) {
  const next = query.get("next") || "/";
  return next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

function field(label, attrs) {
  const id = `f-${attrs.name}`;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    h("input", { id, ...attrs }),
    h("p", { class: "field-error", id: `${id}-error`, hidden: true }),
  );
}

function showErrors(form, box, error) {
  form.querySelectorAll(".field-error").forEach((p) => {
    p.hidden = true;
    p.textContent = "";
  });
  form.querySelectorAll("input").forEach((input) => input.removeAttribute("aria-invalid"));
  let text = error.message;
  if (error instanceof ApiError && error.code === "not_authenticated") {
    text = "That username and password do not match. Check them and try again.";
  } else if (error instanceof ApiError && error.code === "throttled") {
    text = `Too many attempts. Please wait ${error.retryAfter || 60} seconds and try again.`;
  }
  const fields = (error instanceof ApiError && error.body.fields) || {};
  let first = null;
  for (const [name, problems] of Object.entries(fields)) {
    const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
    const p = form.querySelector(`#f-${CSS.escape(name)}-error`);
    if (!input || !p) continue;
    p.textContent = [].concat(problems).join(" ");
    p.hidden = false;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", p.id);
    first = first || input;
  }
  box.replaceChildren(message("error", "Could not continue.", first ? "Please fix the fields below." : text));
  (first || form.querySelector("input")).focus();
}

function authPage(root, { title, intro, fields, submitLabel, onSubmit, footer }) {
  const box = h("div", { class: "form-messages" });
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block" }, submitLabel);
  const form = h("form", { class: "auth-form", novalidate: true }, box, ...fields, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(form));
    submit.disabled = true;
    submit.textContent = "Please wait…";
    try {
      await onSubmit(values);
    } catch (error) {
      showErrors(form, box, error);
    } finally {
      submit.disabled = false;
      submit.textContent = submitLabel;
    }
  });
  root.append(
    h(
      "section",
      { class: "auth-card panel" },
      h("h1", {}, title),
      h("p", { class: "muted" }, intro),
      form,
      footer,
    ),
  );
}

export function loginView(root, { query }) {
  const next = nextPath(query);
  authPage(root, {
    title: "Log in",
    intro: "Log in to hold seats and see your bookings.",
    fields: [
      field("Username", {
        name: "username",
        autocomplete: "username",
        required: true,
        autocapitalize: "none",
      }),
      field("Password", {
        name: "password",
        type: "password",
        autocomplete: "current-password",
        required: true,
      }),
    ],
    submitLabel: "Log in",
    onSubmit: async ({ username, password }) => {
      const user = await logIn(username.trim(), password);
      flash(`Welcome back, ${user.username}.`, "success");
      location.hash = `#${next}`;
    },
    footer: h(
      "p",
      { class: "muted auth-switch" },
      "New here? ",
      h("a", { href: `#/signup?next=${encodeURIComponent(next)}` }, "Create an account"),
    ),
  });
}

export function signupView(root, { query }) {
  const next = nextPath(query);
  authPage(root, {
    title: "Create your account",
    intro: "It takes ten seconds. Your tickets will be waiting in My bookings.",
    fields: [
      field("Username", {
        name: "username",
        autocomplete: "username",
        required: true,
        autocapitalize: "none",
      }),
      field("Email", { name: "email", type: "email", autocomplete: "email", required: true }),
      field("Password", {
        name: "password",
        type: "password",
        autocomplete: "new-password",
        required: true,
        minlength: 8,
      }),
    ],
    submitLabel: "Sign up",
    onSubmit: async ({ username, email, password }) => {
      const user = await signUp(username.trim(), email.trim(), password);
      flash(`Welcome, ${user.username}! Your account is ready.`, "success");
      location.hash = `#${next}`;
    },
    footer: h(
      "p",
      { class: "muted auth-switch" },
      "Already have an account? ",
      h("a", { href: `#/login?next=${encodeURIComponent(next)}` }, "Log in"),
    ),
  });
}
