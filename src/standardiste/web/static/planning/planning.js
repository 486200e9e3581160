// Planning page entry: the Erlang calculator and the staffing plan.
import { setUnauthorizedHandler } from "/static/common/api.js";
import { setupErlang } from "/static/planning/erlang.js";
import { setupPlan } from "/static/planning/plan.js";

const $ = (id) => document.getElementById(id);

setUnauthorizedHandler(() => {
  window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname)}`);
});
setupErlang($("erlang-form"), $("erlang-table"), $("erlang-status"));
setupPlan($("plan-form"), {
  status: $("plan-status"), result: $("plan-result"), queues: $("plan-queues"),
  chart: $("plan-chart"), table: $("plan-table"),
});
document.body.dataset.ready = "1";
