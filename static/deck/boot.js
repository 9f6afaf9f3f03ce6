/* Starts the deck (static/deck/boot.js): loaded after deck.js and every controller. */
(function (window, document) {
  'use strict';
  function boot() {
    var el = document.querySelector('.deck');
    if (!el || window.OMQ.deck) return;
    window.OMQ.deck = window.OMQ.Deck(el, {plugins: window.OMQ_PLUGINS || []});
    document.dispatchEvent(new CustomEvent('omq:ready', {detail: window.OMQ.deck}));
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})(window, document);
