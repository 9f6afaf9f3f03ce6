/* Deck controller 'fit' (static/deck/controllers/fit.js): one lifecycle with the
 * others (render, configure, bind, unbind, update, destroy); deck.js orchestrates. */
(function (window, document, OMQ) {
  'use strict';
  var controller = OMQ.util.controller;

  // Code blocks that overflow their slide get a smaller font, down to
  // config.codeMin. Sizes are in logical px (the slide is scaled as a whole),
  // so a slide is measured once and only measured again after a resize, a
  // theme change or an image loading on it, never per frame.
  OMQ.controllers.fit = function Fit(deck) {
    var epoch = 1, measured = 0, timer = null;
    function over(el) { return el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1; }
    function spill(slide) {
      return Math.max(slide.scrollWidth - slide.clientWidth, slide.scrollHeight - slide.clientHeight, 0);
    }
    function fit(slide) {
      if (!slide || slide.omqFit === epoch) return;
      slide.omqFit = epoch;
      var pres = Array.prototype.filter.call(slide.querySelectorAll('pre.code'), function (pre) {
        return !pre.closest('.notes');
      });
      if (!pres.length) return;
      measured++;
      var style = slide.style, hidden = getComputedStyle(slide).display === 'none';
      var was = [style.visibility, style.display];
      if (hidden) { style.visibility = 'hidden'; style.display = 'flex'; }  // laid out, never painted
      var sizes = pres.map(function (pre) {
        var overflow = pre.style.overflow;
        pre.style.fontSize = '';
        pre.style.overflow = 'hidden';  // no scrollbars while measuring
        var css = getComputedStyle(pre), size = parseFloat(css.fontSize);
        var padX = parseFloat(css.paddingLeft) + parseFloat(css.paddingRight);
        var padY = parseFloat(css.paddingTop) + parseFloat(css.paddingBottom);
        var ratio = Math.max((pre.scrollWidth - padX) / (pre.clientWidth - padX),
                             (pre.scrollHeight - padY) / (pre.clientHeight - padY));
        return {pre: pre, size: size, floor: Math.min(size, deck.config.codeMin), ratio: ratio > 1 ? ratio : 1,
                overflow: overflow};
      });
      sizes.forEach(function (s) {  // a first guess from the overflow, then half-pixel steps
        if (s.ratio > 1) set(s, Math.floor(2 * s.size / s.ratio) / 2);
      });
      var least = Infinity, kept = null, stalls = 0;
      for (var guard = 0; guard < 64; guard++) {
        var extra = spill(slide), moved = false;
        if (extra && extra < least) { least = extra; kept = sizes.map(function (s) { return s.size; }); stalls = 0; }
        else if (extra && ++stalls > 3) {  // 2 px less did not help: what spills is not the code
          sizes.forEach(function (s, i) { set(s, kept[i]); });
          break;
        }
        sizes.forEach(function (s) {
          if ((extra || over(s.pre)) && s.size > s.floor) { set(s, s.size - .5); moved = true; }
        });
        if (!moved) break;
      }
      if (!spill(slide) && sizes.every(function (s) { return s.ratio === 1; })) grow(slide, sizes);
      sizes.forEach(function (s) { s.pre.style.overflow = s.overflow; });
      if (hidden) { style.visibility = was[0]; style.display = was[1]; }
    }
    // Short code grows to fill its slide, as long code shrinks: the largest size up
    // to codeMax at which the slide still fits (a few layouts: a binary search).
    function grow(slide, sizes) {
      var max = deck.config.codeMax, start = sizes.map(function (s) { return s.size; }), base = start[0];
      if (slide.classList.contains('dense') || !(max > base)) return;
      var apply = function (size) { sizes.forEach(function (s, i) { set(s, size * start[i] / base); }); };
      var lo = base, hi = max;
      while (hi - lo > 0.5) {
        var mid = Math.floor(lo + hi) / 2;
        apply(mid);
        if (!spill(slide) && !sizes.some(function (s) { return over(s.pre); })) lo = mid; else hi = mid;
      }
      apply(lo);
    }
    function set(s, size) {
      s.size = Math.max(s.floor, size);
      s.pre.style.fontSize = s.size + 'px';
    }
    function refit() {  // thumbnails keep their sizes until shown again: zoom would skew a measure
      epoch++;
      if (document.documentElement.classList.contains('print')) self.all();
      else if (!deck.state().overview) self.update(deck.state());
    }
    function later() { clearTimeout(timer); timer = setTimeout(refit, 150); }
    function onLoad(e) {
      var slide = e.target.tagName === 'IMG' && e.target.closest('.slide');
      if (slide && slide.omqFit === epoch) { slide.omqFit = 0; fit(slide); }  // an image changed the layout
    }
    var offTheme;
    var self = controller('fit', {
      bind: function () {
        window.addEventListener('resize', later);
        document.addEventListener('load', onLoad, true);
        offTheme = deck.on('themechanged', refit);
      },
      unbind: function () {
        window.removeEventListener('resize', later);
        document.removeEventListener('load', onLoad, true);
        clearTimeout(timer);
        if (offTheme) offTheme();
      },
      update: function (state) { fit(deck.slides[state.h]); },
      all: function () { Array.prototype.forEach.call(document.querySelectorAll('.slide'), fit); },
      slide: fit,
      measured: function () { return measured; }
    });
    return self;
  };
})(window, document, window.OMQ);
