/* Kent Locality Explorer light embed: the ward text on hover and focus, a raised outline for the ward in focus,
   and postcode search from the static files in ../postcodes/. The page works without this file: the map,
   legend, table and links are plain HTML and SVG, and the search form then opens the full explorer's search.
   No cookies, storage or third-party requests; no inline handlers (the page's CSP allows only this file). */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  // Royal Mail's postcode areas (the letters before the first digit), to tell a postcode from outside Kent
  // from one that cannot exist.
  var AREAS = ("AB AL B BA BB BD BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY E EC " +
    "EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY L LA LD LE LL LN LS LU M ME MK " +
    "ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG SK SL SM SN SO SP SR SS ST SW SY TA TD TF " +
    "TN TQ TR TS TW UB W WA WC WD WF WN WR WS WV YO ZE").split(" ");
  var POSTCODE = /^([A-Z]{1,2})([0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$/;
  var PLACE = /^[A-Za-z\u00C0-\u024F][A-Za-z\u00C0-\u024F .,'&-]{1,60}$/;

  var map = document.querySelector("svg.map");
  var tip = document.getElementById("tip");
  var raised = map && map.querySelector(".raised");
  var form = document.querySelector("form.search");
  var status = document.getElementById("status");
  if (!map || !tip || !raised || !form || !status) { return; }

  function nameOf(ward) {
    var title = ward.querySelector("title");
    return title ? title.textContent : "";
  }

  function raise(ward) {
    while (raised.firstChild) { raised.removeChild(raised.firstChild); }
    if (!ward) { return; }
    ["halo", "edge"].forEach(function (cls) {
      var use = document.createElementNS(SVG, "use");
      use.setAttribute("href", "#p-" + ward.getAttribute("data-code"));
      use.setAttribute("class", cls);
      raised.appendChild(use);
    });
  }

  function show(ward) {
    tip.textContent = ward ? nameOf(ward) : "";
    raise(ward);
  }

  function wardOf(target) {
    return target && target.closest ? target.closest("[data-code]") : null;
  }

  map.addEventListener("mouseover", function (event) { show(wardOf(event.target)); });
  map.addEventListener("mouseleave", function () { show(wardOf(document.activeElement)); });
  map.addEventListener("focusin", function (event) { show(wardOf(event.target)); });
  map.addEventListener("focusout", function (event) {
    if (!wardOf(event.relatedTarget)) { show(null); }
  });

  function say(parts) {
    // parts: strings and {href, text} links; built with DOM nodes so typed text is never markup.
    while (status.firstChild) { status.removeChild(status.firstChild); }
    parts.forEach(function (part) {
      if (typeof part === "string") {
        status.appendChild(document.createTextNode(part));
      } else {
        var a = document.createElement("a");
        a.href = part.href;
        a.textContent = part.text;
        if (part.blank) { a.target = "_blank"; a.rel = "noopener"; }
        status.appendChild(a);
      }
    });
  }

  function findLink(text) {
    return {href: form.getAttribute("action") + "?q=" + encodeURIComponent(text), text: "the full explorer's search",
            blank: true};
  }

  function clearFound() {
    var found = map.querySelectorAll(".found");
    for (var i = 0; i < found.length; i++) { found[i].classList.remove("found"); }
  }

  var outward = (form.getAttribute("data-outward") || "").split(" ");
  var area = form.getAttribute("data-area");
  var layerFile = location.pathname.split("/").pop() || "";

  function lookup(postcode, parts) {
    var out = parts[1] + parts[2], inward = parts[3];
    if (AREAS.indexOf(parts[1]) < 0) {
      say([postcode + " is not a postcode we recognise: there is no " + parts[1] +
           " postcode area. Check it and try again, for example CT9 1AE."]);
      return;
    }
    if (outward.indexOf(out) < 0) {
      say([postcode + " is outside Kent. This map covers the 12 districts of Kent County Council " +
           "(not Medway, London or East Sussex)."]);
      return;
    }
    say(["Looking up " + postcode + "\u2026"]);
    fetch("../postcodes/" + out + ".json", {credentials: "omit"}).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (data) {
      var wardCode = data.p[inward];
      if (!wardCode) {
        say(["We cannot find " + postcode + " among Kent's postcodes. It may be mistyped, new, no longer in use, " +
             "or just outside Kent."]);
        return;
      }
      var info = data.w[wardCode];
      var ward = map.querySelector('[data-code="' + wardCode + '"]');
      if (ward) {
        ward.classList.add("found");
        ward.focus();
        show(ward);
        say([postcode + " is in " + nameOf(ward) + "."]);
      } else {
        var here = area === "kent" ? "" : "../" + info[1] + "/" + layerFile;
        say([postcode + " is in " + info[0] + " ward, " + info[2] + ", which is not on this map. ",
             {href: here, text: "Show the map of " + info[2]}, "."]);
      }
    }).catch(function () {
      say(["The postcode lookup could not be loaded. Try again, or use ", findLink(postcode), "."]);
    });
  }

  form.addEventListener("submit", function (event) {
    var input = form.querySelector("input[name=q]");
    var text = (input.value || "").replace(/\s+/g, " ").trim();
    clearFound();
    if (!text) {
      event.preventDefault();
      say(["Enter a postcode, for example CT9 1AE, or a place name."]);
      return;
    }
    var parts = POSTCODE.exec(text.toUpperCase());
    if (parts) {
      event.preventDefault();
      lookup(parts[1] + parts[2] + " " + parts[3], parts);
      return;
    }
    if (PLACE.test(text)) {
      say(["Searching the full explorer for \u201c" + text + "\u201d in a new tab."]);
      return;  // the form's own GET: /find?q=<text>
    }
    event.preventDefault();
    var shown = text.length > 40 ? text.slice(0, 37) + "\u2026" : text;
    say(["\u201c" + shown + "\u201d is not a postcode or a place name. Enter a postcode such as CT9 1AE, " +
         "or a town or village such as Margate."]);
  });
})();
