/* Deck controller 'help' (static/deck/controllers/help.js): one lifecycle with the
 * others (render, configure, bind, unbind, update, destroy); deck.js orchestrates. */
(function (window, document, OMQ) {
  'use strict';
  var make = OMQ.util.make, controller = OMQ.util.controller;

  OMQ.controllers.help = function Help(deck) {
    var box;
    var rows = [['→ space', 'next'], ['←', 'previous'], ['↓ ↑', 'down, up (vertical slides)'], ['Home End', 'first, last'], ['o Esc', 'overview'],
      ['f', 'fullscreen'], ['s', 'presenter view (new tab)'], ['t', 'theme'], ['b', 'black screen'],
      ['7 Enter', 'go to slide 7'], ['?', 'this help']];
    return controller('help', {
      render: function () {
        box = make('div', 'help', deck.el, '<h2>Keys</h2><table>' + rows.map(function (r) {
          return '<tr><th>' + r[0] + '</th><td>' + r[1] + '</td></tr>';
        }).join('') + '</table>');
        box.hidden = true;
      },
      toggle: function () {
        box.hidden = !box.hidden;
        Array.prototype.forEach.call(box.querySelectorAll('th'), function (key) {  // say which theme is on
          if (key.textContent === 't') key.nextSibling.textContent = 'next theme (now: ' + document.documentElement.getAttribute('data-theme') + ')';
        });
      },
      destroy: function () { box.remove(); }
    });
  };
})(window, document, window.OMQ);
