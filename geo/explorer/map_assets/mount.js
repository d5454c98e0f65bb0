// The explorer's map, drawn in the page itself rather than in an iframe (st.components.v2, issue 15): the app's own
// Leaflet and topojson-client load once per page, then the folium map's rendered script runs against a div of its own.
// data (geo/explorer/maps.py mount_data): {title, height, styles, html, script, scripts, stylesheets, map_var}.
// A click on an area sets the trigger "clicked" to its area code. The Leaflet map is kept on its div as .kleMap, for
// the browser tests and for anyone debugging a page.

const loaded = {};  // url -> Promise, shared by every map on the page for the page's lifetime

function staticBase() {
  // Streamlit's bundle is served from <base>/static/js/ and the app's static folder from <base>/app/static/, with or
  // without server.baseUrlPath and whatever the page's own path is.
  const own = document.querySelector('script[src*="/static/js/"]');
  const base = own ? own.src.slice(0, own.src.indexOf("/static/js/") + 1) : new URL("/", document.baseURI).href;
  return base + "app/static/";
}

function load(tag, url) {
  if (!loaded[url]) {
    loaded[url] = new Promise((resolve, reject) => {
      const element = document.createElement(tag);
      if (tag === "link") {
        element.rel = "stylesheet";
        element.href = url;
      } else {
        element.src = url;
        element.async = false;  // inserted together: they download in parallel and run in order (Leaflet first)
      }
      element.onload = resolve;
      element.onerror = () => reject(new Error("could not load " + url));
      document.head.appendChild(element);
    });
  }
  return loaded[url];
}

export default async function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const base = staticBase();
  const holder = document.createElement("div");
  holder.className = "kle-map";
  holder.style.position = "relative";
  holder.style.height = data.height + "px";
  holder.innerHTML = data.styles + data.html;
  parentElement.replaceChildren(holder);
  data.stylesheets.forEach((path) => load("link", base + path));
  await Promise.all(data.scripts.map((path) => load("script", base + path)));
  const map = new Function(data.script + "\nreturn " + data.map_var + ";")();
  const container = map.getContainer();
  container.setAttribute("role", "region");
  container.setAttribute("aria-label", data.title + ". Arrow keys move the map, + and - zoom, Tab moves through the areas.");
  // On a press Leaflet focuses the map and then puts back the window's scroll position. Streamlit's page scrolls in a
  // container of its own, which that focus would scroll (the map jumps up under the pointer and the click misses):
  // focus the map first, without scrolling, so Leaflet need not.
  container.addEventListener("mousedown", () => {
    if (document.activeElement !== container) container.focus({ preventScroll: true });
  }, true);
  map.eachLayer((layer) => {  // the areas' group (its paths inherit its options, so test the group's own type)
    if (layer instanceof window.L.GeoJSON && layer.options.kleAreas) {
      layer.on("click", (event) => {
        const feature = event.sourceTarget && event.sourceTarget.feature;
        if (feature) setTriggerValue("clicked", feature.properties.area_code);
      });
    }
  });
  // The window's resizes Leaflet follows itself; a column that changes width alone (the layout settling, a phone
  // turned) it does not, and in an iframe it never had to.
  const resized = new ResizeObserver(() => map.invalidateSize());
  resized.observe(container);
  holder.kleMap = map;
  return () => {
    resized.disconnect();
    map.remove();
  };
}
