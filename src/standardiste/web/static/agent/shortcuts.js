// Keyboard shortcuts: Alt+Shift+letter, so single keys never fire an action (WCAG 2.1.4).
export function bindShortcuts({ stateBar, offers, work }) {
  const actions = {
    KeyR: () => stateBar.toolbar.querySelector('[data-state="ready"]').click(),
    KeyP: () => stateBar.openMenu(true),
    KeyA: () => { const id = offers.oldest(); if (id) offers.run("accept", id); },
    KeyD: () => { const id = offers.oldest(); if (id) offers.run("decline", id); },
    KeyH: () => work.call()?.el.querySelector('[data-action="hold"]').click(),
    KeyX: () => work.call()?.el.querySelector('[data-action="hangup"]').click(),
    KeyW: () => work.focusWrapUp(),
    KeyJ: () => window.location.assign("/agent/day"),
  };
  document.addEventListener("keydown", (event) => {
    if (!event.altKey || !event.shiftKey || event.ctrlKey || event.metaKey) return;
    const action = actions[event.code];
    if (!action) return;
    event.preventDefault();
    action();
  });
}
