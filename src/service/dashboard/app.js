// The dashboard's entry: a hash router over two views (jobs, one job) and
// the token prompt. Plain ES modules, served by the service; no build step.
import { getToken, setToken } from "./api.js";
import { h, mount } from "./dom.js";
import { jobsView } from "./jobs_view.js";
import { jobView } from "./job_view.js";

const main = document.getElementById("main");
let leave = () => {};

function askToken() {
  leave();
  leave = () => {};
  const input = h("input", {
    type: "password",
    name: "token",
    "data-testid": "token",
    autocomplete: "off",
  });
  mount(
    main,
    h(
      "section",
      {},
      h("h2", {}, "This service needs a token"),
      h("p", { class: "muted" }, "It is kept for this tab only (sessionStorage)."),
      h(
        "form",
        {
          "data-testid": "token-form",
          onsubmit: (e) => {
            e.preventDefault();
            setToken(input.value.trim());
            route();
          },
        },
        h("label", {}, "Bearer token (CRAWLER_TOKEN)", input),
        h("button", { type: "submit" }, "Continue"),
      ),
      getToken() ? h("p", { class: "form-error" }, "The token was refused.") : null,
    ),
  );
  input.focus();
}

function route() {
  leave();
  const m = /^#\/jobs\/([^/]+)$/.exec(location.hash);
  leave = m
    ? jobView(main, decodeURIComponent(m[1]), { onAuth: askToken })
    : jobsView(main, { onAuth: askToken });
}

addEventListener("hashchange", route);
route();
