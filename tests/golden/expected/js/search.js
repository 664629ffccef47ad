// The search page: queries the Pagefind index built with the site, entirely in the browser.
const box = document.getElementById("search");
const form = box.querySelector(".search-form");
const input = form.querySelector("input");
const order = box.querySelector("#order");
const status = box.querySelector(".search-status");
const list = box.querySelector(".results");
const more = box.querySelector(".more-results");
const PAGE = 20;  // results shown at first, and added by each "More results"
// The index is split into shards (pagefind/0/, pagefind/1/, ...) so a rebuild re-indexes only
// the shard a changed story is in. One engine, the first shard's (the only one that has its
// script and WebAssembly), searches them all: the others are merged into it. It loads as the
// page opens; a search typed meanwhile waits for it.
const shards = box.dataset.shards.split(" ");
const folder = (n) => `${box.dataset.bundle}${n}/`;
// Each shard's weight in the merged engine: 1 + its place in `shards` / 2^32 (see byDate). It
// scales a result's score, so best first it changes no order but ties'.
const SHARD_WEIGHT = 2 ** -32;
const engine = (async () => {
  const pagefind = await import(`${folder(shards[0])}pagefind.js`);
  await pagefind.options({ basePath: folder(shards[0]), excerptLength: 24 });
  // A merge waits for the first shard's WebAssembly without end: wait for it here first,
  // which fails when it cannot load (a search of nothing loads only the engine).
  await pagefind.preload("");
  await Promise.all(shards.slice(1).map((n, i) => pagefind.mergeIndex(folder(n),
    { excerptLength: 24, indexWeight: 1 + (i + 1) * SHARD_WEIGHT })));
  return pagefind;
})();
engine.catch(() => {});  // said by the search that needs it (see run)
let latest = 0;
let current = null;  // the shown search: {query, count, shown, next}

// A result's data (its fragment: content, meta, sub-results), loaded once.
const loaded = new WeakMap();
function dataOf(result) {
  if (!loaded.has(result)) loaded.set(result, result.data());
  return loaded.get(result);
}

// Pagefind's excerpts are escaped text with <mark> around the matches: rebuild them as nodes,
// never as HTML.
function marked(html) {
  const p = document.createElement("p");
  p.className = "excerpt";
  const parsed = new DOMParser().parseFromString(html, "text/html").body;
  for (const node of parsed.childNodes) {
    if (node.nodeName === "MARK") {
      const mark = document.createElement("mark");
      mark.textContent = node.textContent;
      p.append(mark);
    } else {
      p.append(node.textContent);
    }
  }
  return p;
}

// The excerpt of a result from the story's own prose (excerpt, note): the index puts the
// headline, outlets, topics and coverage headlines after a heading `#headline`, and Pagefind's
// sub-result before it is an excerpt of the prose alone. A story matched only after it shows the
// start of its prose.
function excerpt(data) {
  const prose = data.sub_results.find((sub) => !sub.anchor);
  if (prose) return marked(prose.excerpt);
  const p = document.createElement("p");
  p.className = "excerpt";
  const heading = data.anchors.find((anchor) => anchor.id === "headline");
  const words = data.content.split(/\s+/).slice(0, heading ? heading.location : 0);
  p.textContent = words.slice(0, 24).join(" ") + (words.length > 24 ? " …" : "");
  return p;
}

function item(data) {
  const li = document.createElement("li");
  const meta = document.createElement("p");
  meta.className = "byline";
  meta.textContent = [data.meta.outlet, data.meta.date].filter(Boolean).join(" · ");
  const heading = document.createElement("h2");
  heading.className = "headline";
  const link = document.createElement("a");
  link.href = data.url;
  link.textContent = data.meta.title;
  heading.append(link);
  const text = excerpt(data);
  li.append(meta, heading, ...(text.textContent ? [text] : []));
  return li;
}

// A paging function (byScore, byDate) whose calls run one after another: a page asked for
// while another loads (a double click on "More results") waits for it, and follows it.
function inTurn(next) {
  let last = Promise.resolve();
  return (n) => {
    const page = last.then(() => next(n));
    last = page.catch(() => {});
    return page;
  };
}

// The next `n` results, best first: the merged search's, which Pagefind ranks by score.
function byScore(search) {
  const { results } = search;
  let at = 0;
  return async (n) => {
    const page = results.slice(at, at + n);
    at += page.length;
    return Promise.all(page.map(dataOf));
  };
}

// The next `n` results, newest first, from one search sorted by date. Pagefind scores a sorted
// result by its place in its own shard's date order (0 for the shard's oldest story) times its
// shard's weight (SHARD_WEIGHT), so a score's whole part is the place, and its fraction says the
// shard. Each shard's results, newest first, are merged by date, loading the data (with the
// date) of no more than each shard's next result. A score of 0 says no shard: those results,
// each the oldest of its shard, are put last in their shards by their data's shard filter, once
// a shard has no other result left (until then, none of them can be next; a shard that matched
// nothing has none from the start).
function byDate(search) {
  const lists = shards.map(() => []);
  let unplaced = [];
  for (const result of search.results) {
    const place = Math.floor(result.score);
    if (place === 0) unplaced.push(result);
    else lists[Math.round((result.score - place) / (place * SHARD_WEIGHT))].push(result);
  }
  const heads = lists.map(() => 0);
  async function placeOldest() {
    const found = await Promise.all(unplaced.map(dataOf));
    found.forEach((data, i) => lists[shards.indexOf(data.filters.shard[0])].push(unplaced[i]));
    unplaced = [];
  }
  const newer = (a, b) => a.meta.published > b.meta.published
    || (a.meta.published === b.meta.published && a.url < b.url);
  return async (n) => {
    const page = [];
    while (page.length < n) {
      if (unplaced.length && lists.some((list, i) => heads[i] >= list.length)) {
        await placeOldest();
      }
      const next = await Promise.all(lists.map((list, i) => heads[i] < list.length
        ? dataOf(list[heads[i]]) : null));
      let best = -1;
      next.forEach((data, i) => { if (data && (best < 0 || newer(data, next[best]))) best = i; });
      if (best < 0) break;
      page.push(next[best]);
      heads[best] += 1;
    }
    return page;
  };
}

function announce() {
  const { query, count, shown } = current;
  const which = order.value === "newest" ? "newest" : "best";
  status.textContent = count === 0 ? `No stories match “${query}”.`
    : `${count} ${count === 1 ? "story matches" : "stories match"} “${query}”`
      + (shown < count ? `, the ${which} ${shown} shown.` : ".");
  more.hidden = shown >= count;
}

async function run(query, wait) {
  const asked = ++latest;
  const url = new URL(window.location.href);
  if (query) url.searchParams.set("q", query); else url.searchParams.delete("q");
  if (order.value === "newest") url.searchParams.set("order", "newest");
  else url.searchParams.delete("order");
  window.history.replaceState(null, "", url);
  if (wait) await new Promise((resolve) => { setTimeout(resolve, wait); });
  if (asked !== latest) return;  // a newer query superseded this one
  if (!query) {
    current = null;
    list.replaceChildren();
    status.textContent = "";
    more.hidden = true;
    return;
  }
  let pagefind;
  try {
    pagefind = await engine;
  } catch {
    status.textContent = "Search could not be loaded. Reload the page to try again.";
    more.hidden = true;
    return;
  }
  if (asked !== latest) return;
  // Best first, the merged results come ranked by score; newest first, see byDate.
  const newest = order.value === "newest";
  const search = await pagefind.search(query, newest ? { sort: { published: "desc" } } : {});
  if (asked !== latest) return;
  const next = inTurn(newest ? byDate(search) : byScore(search));
  const count = search.results.length;
  const page = await next(PAGE);
  if (asked !== latest) return;
  current = { query, count, shown: page.length, next };
  list.replaceChildren(...page.map(item));
  announce();
}

// "More results": the next page below the shown ones; focus stays on the button, or goes to
// the first new result when none are left.
async function showMore() {
  const asked = latest;
  const shown = current;
  const page = await shown.next(PAGE);
  if (asked !== latest || shown !== current) return;
  const items = page.map(item);
  list.append(...items);
  current.shown += page.length;
  announce();
  if (more.hidden && items.length) items[0].querySelector("a").focus();
}

form.addEventListener("submit", (event) => { event.preventDefault(); run(input.value.trim(), 0); });
input.addEventListener("input", () => run(input.value.trim(), 200));
order.addEventListener("change", () => run(input.value.trim(), 0));
more.addEventListener("click", showMore);
const params = new URLSearchParams(window.location.search);
if (params.get("order") === "newest") order.value = "newest";
const initial = params.get("q");
if (initial) {
  input.value = initial;
  run(initial.trim(), 0);
}
input.focus();
