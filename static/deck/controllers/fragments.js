/* Deck controller 'fragments' (static/deck/controllers/fragments.js): one lifecycle with the
 * others (render, configure, bind, unbind, update, destroy); deck.js orchestrates. */
(function (window, document, OMQ) {
  'use strict';
  var controller = OMQ.util.controller;

  // Shows the first f fragments of the current slide and the matching code step.
  OMQ.controllers.fragments = function Fragments(deck) {
    function apply(h, f) { show(deck.slides[h], deck.fragments(h), f); }
    // Any copy of a slide too (the presenter's next-step preview).
    function applyTo(slide, f) {
      show(slide, Array.prototype.filter.call(slide.querySelectorAll('.fragment'), function (node) {
        return !node.closest('.notes');
      }), f);
    }
    function show(slide, nodes, f) {
      nodes.forEach(function (node, i) {
        node.classList.toggle('visible', i < f);
        node.classList.toggle('current-fragment', i === f - 1);
      });
      var pres = slide.querySelectorAll('pre[data-steps]');
      Array.prototype.forEach.call(pres, function (pre) {
        var step = pre.querySelectorAll('.step.visible').length, lit = 0;
        Array.prototype.forEach.call(pre.querySelectorAll('.ln'), function (line) {
          lit += line.classList.toggle('hl', line.classList.contains('s' + step)) ? 1 : 0;
        });
        pre.classList.toggle('has-hl', lit > 0);  // an empty step ({1||3}) dims nothing
      });
    }
    return controller('fragments', {
      update: function (state) { apply(state.h, state.f); },
      showAll: function () {
        deck.slides.forEach(function (slide, h) { apply(h, deck.fragments(h).length); });
      },
      apply: apply,
      applyTo: applyTo
    });
  };
})(window, document, window.OMQ);
