#!/usr/bin/env python3
"""Reference values for tests/unit/test_ta.c, computed independently.

Each indicator below is written straight from its textbook definition, as
a reader would do it by hand on a worksheet: whole windows re-scanned for
every bar, no running sums, no ring buffers, nothing shared with the C code
in plugins/ta/.  Where an indicator has variants, the one implemented is
the one plugins/ta documents, and it is named here and in the test.

Input data:
  * J. Welles Wilder Jr., "New Concepts in Technical Trading Systems"
    (1978), the Directional Movement worksheet: 42 days of high, low and
    close (the same series test_ta.c's ADX test checks against the book;
    two lows restored to what the book's own TR and DM columns imply).
  * For VWAP, which needs volume and time: ten 4-hour bars from
    2024-01-01 12:00 UTC, so that a UTC day boundary falls after bar 2,
    with the volumes listed in VWAP_BARS.

Its output is tests/unit/ta_reference.h, which test_ta.c includes:
    python3 tests/ta_reference.py > tests/unit/ta_reference.h
The values are printed with 12 significant digits; the test compares
within 1e-8.
"""

HI = [274, 273.25, 272, 270.75, 270, 270.5, 268.5, 265.5, 262.5, 263.5,
      269.5, 267.25, 267.5, 269.75, 268.25, 264, 268, 266, 274, 277.5,
      277, 272, 267.75, 269.25, 266, 265, 264.75, 261, 257.5, 259,
      259.75, 257.25, 250, 254.25, 254, 253.25, 253.25, 251.75, 253,
      251.5, 246.25, 244.25]
LO = [272, 270.25, 269.75, 268, 269, 268, 266.5, 263, 259, 260, 263,
      265, 265.5, 266, 263.25, 261.5, 266.25, 264.25, 267, 273.5, 272.5,
      269.5, 264, 263, 263.5, 262, 261.5, 255.5, 253, 254, 257.5, 250,
      247, 252.75, 250.5, 250.25, 251, 250.5, 249.5, 245.25, 240, 241.25]
CL = [272.75, 270.75, 270, 269.25, 269.75, 270, 266.5, 263.25, 260.25,
      263, 266.5, 267, 265.75, 268.5, 264.25, 264, 266.5, 265.25, 273,
      276.75, 273, 270.25, 266.75, 263, 265.5, 262.25, 262.75, 255.5,
      253, 257.5, 257.5, 250, 249.75, 253.75, 251.25, 250.5, 253, 251.5,
      250, 245.75, 242.75, 243.5]

# (ms since the epoch, high, low, close, volume)
VWAP_BARS = [
    (1704110400000, 101.0, 99.0, 100.0, 10.0),
    (1704124800000, 102.0, 100.0, 101.5, 30.0),
    (1704139200000, 103.0, 101.0, 102.0, 20.0),
    (1704153600000, 104.0, 101.5, 103.0, 50.0),
    (1704168000000, 103.5, 100.5, 101.0, 40.0),
    (1704182400000, 102.0, 99.5, 100.0, 0.0),
    (1704196800000, 101.0, 98.0, 99.0, 60.0),
    (1704211200000, 100.0, 97.5, 98.5, 25.0),
    (1704225600000, 99.5, 97.0, 98.0, 35.0),
    (1704240000000, 99.0, 96.0, 97.0, 45.0),
]

NAN = None


def sma_seeded_ema(xs, n):
    """EMA with alpha 2/(n+1), first value the simple mean of the first n
    defined inputs (None before); None inputs give None."""
    out, e, seen = [], None, []
    a = 2.0 / (n + 1)
    for x in xs:
        if x is None:
            out.append(None)
            continue
        if e is None:
            seen.append(x)
            if len(seen) == n:
                e = sum(seen) / n
            out.append(e)
            continue
        e = e + a * (x - e)
        out.append(e)
    return out


def wma(xs, n):
    """Weights 1..n, newest heaviest, over n(n+1)/2."""
    out = []
    for t in range(len(xs)):
        if t < n - 1:
            out.append(None)
            continue
        w = xs[t - n + 1:t + 1]
        out.append(sum((k + 1) * w[k] for k in range(n)) / (n * (n + 1) / 2))
    return out


def dema(xs, n):
    """Mulloy (1994): 2 EMA - EMA(EMA)."""
    e1 = sma_seeded_ema(xs, n)
    e2 = sma_seeded_ema(e1, n)
    return [None if b is None else 2 * a - b for a, b in zip(e1, e2)]


def tema(xs, n):
    """Mulloy (1994): 3 EMA - 3 EMA(EMA) + EMA(EMA(EMA))."""
    e1 = sma_seeded_ema(xs, n)
    e2 = sma_seeded_ema(e1, n)
    e3 = sma_seeded_ema(e2, n)
    return [None if c is None else 3 * a - 3 * b + c
            for a, b, c in zip(e1, e2, e3)]


def true_ranges(h, l, c):
    """Wilder's TR from the second bar on (None on the first)."""
    return [None] + [max(h[t] - l[t], abs(h[t] - c[t - 1]),
                         abs(l[t] - c[t - 1])) for t in range(1, len(c))]


def wilder_atr(h, l, c, n):
    """First value on bar n: the mean of TR 1..n; then
    ATR = (ATR_prev * (n - 1) + TR) / n."""
    tr = true_ranges(h, l, c)
    out = [None] * len(c)
    for t in range(n, len(c)):
        if t == n:
            out[t] = sum(tr[1:n + 1]) / n
        else:
            out[t] = (out[t - 1] * (n - 1) + tr[t]) / n
    return out


def keltner(h, l, c, n, mult, atr_n):
    """StockCharts' (Linda Raschke's) Keltner channels: middle EMA(n) of
    the close, bands -/+ mult x Wilder ATR(atr_n); not Chester Keltner's
    1960 original (10-day SMA of the typical price -/+ the 10-day SMA of
    high - low)."""
    m = sma_seeded_ema(c, n)
    a = wilder_atr(h, l, c, atr_n)
    return [(None, None, None) if x is None or y is None else
            (x - mult * y, x, x + mult * y) for x, y in zip(m, a)]


def psar(h, l, step, cap):
    """Wilder's Parabolic SAR.  The first trade starts on bar 1: long when
    bar 1's midpoint is not below bar 0's, with SAR = bar 0's low and the
    extreme point EP = bar 1's high (short: bar 0's high, bar 1's low).
    Then, for each bar: SAR + AF (EP - SAR), kept at or below the lows of
    the two bars before (long; at or above their highs short); a bar whose
    low (long) or high (short) goes through it reverses the trade: SAR =
    EP, EP = that bar's extreme, AF = step; otherwise a new extreme moves
    EP and raises AF by step, to at most cap.  The value printed for a bar
    is the SAR in force on it."""
    out = [None, None]
    up = (h[1] + l[1]) / 2 >= (h[0] + l[0]) / 2
    sar = l[0] if up else h[0]
    ep = h[1] if up else l[1]
    af = step
    out[1] = sar
    for t in range(2, len(h)):
        nxt = sar + af * (ep - sar)
        if up:
            nxt = min(nxt, l[t - 1], l[t - 2])
            if l[t] < nxt:
                up, nxt, ep, af = False, ep, l[t], step
            elif h[t] > ep:
                ep, af = h[t], min(af + step, cap)
        else:
            nxt = max(nxt, h[t - 1], h[t - 2])
            if h[t] > nxt:
                up, nxt, ep, af = True, ep, h[t], step
            elif l[t] < ep:
                ep, af = l[t], min(af + step, cap)
        sar = nxt
        out.append(sar)
    return out


def supertrend(h, l, c, n, mult):
    """Olivier Seban's SuperTrend with the usual band ratchet: basic bands
    (h + l) / 2 -/+ mult x Wilder ATR(n); the final upper band is the basic
    one when that is lower or when the previous close was above the
    previous final upper band, else the previous final upper band (the
    lower band mirrors it); the trend turns up when a close is above the
    bar's final upper band and down when one is below its final lower
    band; the first trend is up when the first close with an ATR is above
    (h + l) / 2.  Value: the lower band in an uptrend, the upper band in a
    downtrend.  Returns (value, direction) per bar."""
    a = wilder_atr(h, l, c, n)
    out, fu, fl, d = [], None, None, None
    for t in range(len(c)):
        if a[t] is None:
            out.append((None, None))
            continue
        mid = (h[t] + l[t]) / 2
        bu, bl = mid + mult * a[t], mid - mult * a[t]
        if fu is None:
            fu, fl = bu, bl
            d = 1 if c[t] > mid else -1
        else:
            fu = bu if (bu < fu or c[t - 1] > fu) else fu
            fl = bl if (bl > fl or c[t - 1] < fl) else fl
            if d < 0 and c[t] > fu:
                d = 1
            elif d > 0 and c[t] < fl:
                d = -1
        out.append((fl if d > 0 else fu, d))
    return out


def midpoint(h, l, t, n):
    if t < n - 1:
        return None
    return (max(h[t - n + 1:t + 1]) + min(l[t - n + 1:t + 1])) / 2


def ichimoku(h, l, c, tk, kj, sk):
    """Goichi Hosoda's lines as of bar t, before any plotting shift:
    tenkan, kijun and span B the midpoints of the highest high and lowest
    low over tk, kj and sk bars; span A = (tenkan + kijun) / 2; chikou =
    the close.  (Charts draw the spans kj bars ahead and chikou kj bars
    back; the values are the same.)"""
    out = []
    for t in range(len(c)):
        a, b = midpoint(h, l, t, tk), midpoint(h, l, t, kj)
        out.append((a, b, None if a is None or b is None else (a + b) / 2,
                    midpoint(h, l, t, sk), c[t]))
    return out


def vwap(bars, period):
    """Sum of typical price x volume over the sum of volume: over the
    bars of the same UTC day so far (period 0, anchored at 00:00 UTC) or
    over the last `period` bars; the typical price itself when that volume
    is 0."""
    out = []
    for t, (ts, hh, ll, cc, vv) in enumerate(bars):
        if period == 0:
            day = ts // 86400000
            win = [b for b in bars[:t + 1] if b[0] // 86400000 == day]
        elif t < period - 1:
            out.append(None)
            continue
        else:
            win = bars[t - period + 1:t + 1]
        pv = sum((b[1] + b[2] + b[3]) / 3 * b[4] for b in win)
        v = sum(b[4] for b in win)
        out.append(pv / v if v > 0 else (hh + ll + cc) / 3)
    return out


def c_array(name, xs):
    vals = ["NAN" if x is None else "%.12g" % x for x in xs]
    lines, cur = [], "\t"
    for v in vals:
        item = v + ","
        if len(cur) + len(item) + 1 > 72:
            lines.append(cur.rstrip())
            cur = "\t"
        cur += item + " "
    lines.append(cur.rstrip())
    return "static const double %s[] = {\n%s\n};" % (name, "\n".join(lines))


def main():
    print("/*\n * ta_reference.h -- written by tests/ta_reference.py (run it again "
          "to\n * regenerate): reference values for test_ta.c, computed from "
          "the\n * textbook definitions independently of plugins/ta.  Inputs: "
          "Wilder's\n * Directional Movement worksheet (42 days) and, for "
          "VWAP, ten 4-hour\n * bars across a UTC midnight.\n */")
    print(c_array("ref_hi", HI))
    print(c_array("ref_lo", LO))
    print(c_array("ref_cl", CL))
    print("static const int64_t ref_vwap_ts[] = {\n%s\n};" % ",\n".join(
        "\t%dLL" % b[0] for b in VWAP_BARS))
    for j, nm in ((1, "high"), (2, "low"), (3, "close"), (4, "volume")):
        print(c_array("ref_vwap_" + nm, [b[j] for b in VWAP_BARS]))
    print(c_array("ref_wma10", wma(CL, 10)))
    print(c_array("ref_dema10", dema(CL, 10)))
    print(c_array("ref_tema10", tema(CL, 10)))
    print(c_array("ref_psar", psar(HI, LO, 0.02, 0.2)))
    k = keltner(HI, LO, CL, 20, 2.0, 10)
    print(c_array("ref_kelt_lower", [x[0] for x in k]))
    print(c_array("ref_kelt_middle", [x[1] for x in k]))
    print(c_array("ref_kelt_upper", [x[2] for x in k]))
    s = supertrend(HI, LO, CL, 10, 3.0)
    print(c_array("ref_st_value", [x[0] for x in s]))
    print(c_array("ref_st_dir", [x[1] for x in s]))
    i = ichimoku(HI, LO, CL, 9, 26, 30)
    for j, nm in enumerate(["tenkan", "kijun", "span_a", "span_b"]):
        print(c_array("ref_ichi_" + nm, [x[j] for x in i]))
    print(c_array("ref_vwap_day", vwap(VWAP_BARS, 0)))
    print(c_array("ref_vwap3", vwap(VWAP_BARS, 3)))


if __name__ == "__main__":
    main()
