  // Before a form is sent: phones keep their digits only ("(801) 555-0102" and
  // "+1 801 555 0102" both become 8015550102), and _lp_t gets the milliseconds
  // the visitor spent on the page.
  function beforeSend(form) {
    Array.prototype.forEach.call(form.querySelectorAll('input[type=tel]'), function (input) {
      var digits = input.value.replace(/[\s().-]/g, '');
      input.value = /^\+?1\d{10}$/.test(digits) ? digits.slice(-10) : digits;
    });
    if (form.elements._lp_t) form.elements._lp_t.value = String(Math.round(performance.now()));
  }
