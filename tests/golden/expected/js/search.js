// The search page: queries the Pagefind index built with the site, entirely in the browser.
const box = document.getElementById("search");
const status = box.querySelector(".search-status");
const list = box.querySelector(".results");
// The index is split into shards (pagefind/0/, pagefind/1/, ...) so a rebuild re-indexes only
// the shard a changed story is in; the first shard's engine searches them all.
const shards = box.dataset.shards.split(" ").map((n) => `${box.dataset.bundle}${n}/`);
const pagefind = await import(`${shards[0]}pagefind.js`);
await pagefind.options({ basePath: shards[0], excerptLength: 24 });
await Promise.all(shards.slice(1).map((shard) => pagefind.mergeIndex(shard, { excerptLength: 24 })));
// site.js (loaded before this module runs) makes the form; without scripts the page explains.
const form = window.digestSearchForm("search-form", "q",
  "Search headlines, excerpts, notes, outlets and topics");
const input = form.querySelector("input");
box.prepend(form);
let latest = 0;

// Pagefind's excerpts are escaped text with <mark> around the matches: rebuild them as nodes,
// never as HTML.
function excerpt(html) {
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
  li.append(meta, heading, excerpt(data.excerpt));
  return li;
}

async function run(query) {
  const asked = ++latest;
  const url = new URL(window.location.href);
  if (query) url.searchParams.set("q", query); else url.searchParams.delete("q");
  window.history.replaceState(null, "", url);
  if (!query) {
    list.replaceChildren();
    status.textContent = "";
    return;
  }
  const search = await pagefind.debouncedSearch(query, {}, 200);
  if (search === null || asked !== latest) return;  // a newer query superseded this one
  const results = await Promise.all(search.results.slice(0, 20).map((r) => r.data()));
  if (asked !== latest) return;
  list.replaceChildren(...results.map(item));
  const count = search.results.length;
  status.textContent = count === 0 ? `No stories match “${query}”.`
    : `${count} ${count === 1 ? "story matches" : "stories match"} “${query}”`
      + (count > 20 ? ", the best 20 shown." : ".");
}

form.addEventListener("submit", (event) => { event.preventDefault(); run(input.value.trim()); });
input.addEventListener("input", () => run(input.value.trim()));
const initial = new URLSearchParams(window.location.search).get("q");
if (initial) {
  input.value = initial;
  run(initial.trim());
}
input.focus();
