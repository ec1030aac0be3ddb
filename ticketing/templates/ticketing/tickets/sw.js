{% load static %}// The service worker of the ticket pages (served at /tickets/sw.js, so its scope is /tickets/).
//
// A ticket page the buyer opened is kept in this browser's cache and shown from there when the
// network is gone (or the server fails), so the QR code is there at the gate. Network first: a
// cancelled ticket shows VOID as soon as the page is reached again, and a ticket the server no
// longer knows (404) is dropped. Nothing else is kept: no API answer, no other page, not the QR
// endpoint (the page's QR code is inline). The codes are bearer secrets: they stay in the
// buyer's own browser, never in a shared cache.
"use strict";

const CACHE = "tickets-v1";
const TICKET_PAGE = /^\/tickets\/[A-Za-z0-9_-]+\/$/;
const SCRIPT = new URL("{% static 'ticketing/tickets/ticket.js' %}", self.location.href).href;

function ticketPageKey(url) {
  return url.origin === self.location.origin && TICKET_PAGE.test(url.pathname) ? url.origin + url.pathname : null;
}

async function fromNetwork(request, key) {
  const cache = await caches.open(CACHE);
  let response;
  try {
    response = await fetch(request);
  } catch (error) {
    const copy = await cache.match(key, { ignoreVary: true });
    if (copy) return copy;
    throw error;
  }
  if (response.ok && response.type === "basic") {
    await cache.put(key, response.clone());
  } else if (response.status === 404) {
    await cache.delete(key);
  } else if (response.status >= 500) {
    return (await cache.match(key, { ignoreVary: true })) || response;
  }
  return response;
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.add(SCRIPT))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      await self.clients.claim();
      const cache = await caches.open(CACHE);
      for (const request of await cache.keys()) {
        if (!ticketPageKey(new URL(request.url)) && request.url !== SCRIPT) await cache.delete(request);
      }
      // The page that registered this worker was loaded before it ran: keep it now, so that a
      // ticket opened once is there offline without a second visit.
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const keys = windows.map((client) => ticketPageKey(new URL(client.url))).filter(Boolean);
      await Promise.all(keys.map((key) => fromNetwork(key, key).catch(() => undefined)));
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  const key = request.mode === "navigate" ? ticketPageKey(url) : null;
  if (key) event.respondWith(fromNetwork(request, key));
  else if (url.href === SCRIPT) event.respondWith(fromNetwork(request, SCRIPT));
});
