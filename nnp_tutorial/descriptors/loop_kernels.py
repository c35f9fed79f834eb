r"""The compiled kernels (numba) of :class:`~nnp_tutorial.descriptors.loops.DescriptorLoops`.

Pair terms, the radial and angular sums over the centres of one thread and their
gradients with respect to the pair vectors, and the triples of one centre (shared with
:mod:`~nnp_tutorial.descriptors.derivatives`). Every kernel releases the GIL; the
formulas are those of :mod:`~nnp_tutorial.descriptors.graph` (the tests compare the two
engines to round-off).
"""

from __future__ import annotations

import numba
import numpy as np

from .neighbors import centre_triples


@numba.njit(nogil=True, cache=True, fastmath={"contract"})
def gaussian_pair_term(fc: float, dfc: float, shift: float, eta: float) -> tuple[float, float]:
    """P = f_c e^{-η (r - r_s)²} and P' = (f_c' - 2η (r - r_s) f_c) e^{-η (r - r_s)²} of one pair
    and key, from f_c and f_c' at r and ``shift`` = r - r_s (the formula of
    :func:`~nnp_tutorial.descriptors.graph.pair_factors`; compiled loops inline it)."""
    gauss = np.exp(-eta * shift * shift)
    return fc * gauss, (dfc - 2.0 * eta * shift * fc) * gauss


@numba.njit(nogil=True, cache=True, fastmath={"contract"})
def pair_terms(
    r, cut, block, rc_of, eta, rs, keys_of, columns_of, group_keys, group_of, group_start, group_width, P, dP,
    flat, d_flat, lo, hi,
):  # fmt: skip
    """P and P' of the pairs ``lo:hi`` for the keys their functions use (see
    :func:`~nnp_tutorial.descriptors.graph.pair_factors`).

    ``cut`` (pairs, 2 n_rc): f_c and f_c' for each distinct cutoff radius; ``rc_of``,
    ``eta``, ``rs`` (keys,): each key's radius (index), width (1/Å²) and centre (Å).
    ``block`` (pairs,): the (centre element, neighbour element) block of each pair;
    ``keys_of[b]``: the keys that block's pairs need (-1 pads), written to
    ``P, dP`` (pairs, keys), the rest left unset. The angular groups' columns
    ``group_keys`` that block ``b`` needs, ``columns_of[b]``, are also copied side by
    side, group by group, to ``flat`` and ``d_flat``: group ``g`` as a (pairs,
    ``group_width[g]``) block starting at ``n_pairs * group_start[g]``.
    """
    n = len(r)
    for p in range(lo, hi):
        b = block[p]
        for k in keys_of[b]:
            if k < 0:
                break
            P[p, k], dP[p, k] = gaussian_pair_term(
                cut[2 * rc_of[k], p], cut[2 * rc_of[k] + 1, p], r[p] - rs[k], eta[k]
            )
        for c in columns_of[b]:
            if c < 0:
                break
            g = group_of[c]
            at = n * group_start[g] + p * group_width[g] + c - group_start[g]
            flat[at] = P[p, group_keys[c]]
            d_flat[at] = dP[p, group_keys[c]]


@numba.njit(nogil=True, cache=True)
def radial_forward(P, atoms, rows, starts, counts, keys, columns, out):
    """``out[row(i), columns[k]] = sum of P[p, keys[k]]`` over the pairs p of each centre i."""
    for i in atoms:
        for k in range(len(keys)):
            s = 0.0
            for p in range(starts[i], starts[i] + counts[i]):
                s += P[p, keys[k]]
            out[rows[i], columns[k]] = s


@numba.njit(nogil=True, cache=True)
def radial_backward(dP, r, atoms, rows, starts, counts, keys, columns, w, along):
    """``along[p] += (sum_k w[row(i), columns[k]] P'[p, keys[k]]) / r_p`` for the pairs of each centre."""
    for i in atoms:
        for p in range(starts[i], starts[i] + counts[i]):
            s = 0.0
            for k in range(len(keys)):
                s += w[rows[i], columns[k]] * dP[p, keys[k]]
            along[p] += s / r[p]


@numba.njit(nogil=True, cache=True, fastmath={"reassoc", "contract"})
def centre_factors(vectors, r, P, narrow, tp, tq, to, lambdas, zetas, cos, X, A, dA, radial=True):
    """cos θ (n,), the radial factors X (n_radial, n) and A, dA/dcos θ (n_angular, n) of the n triples.

    Without ``radial``, X is left alone (:func:`angular_backward` computes it with its derivatives).
    """
    n = len(tp)
    for t in range(n):
        pj, pk = tp[t], tq[t]
        dot = (
            vectors[pj, 0] * vectors[pk, 0]
            + vectors[pj, 1] * vectors[pk, 1]
            + vectors[pj, 2] * vectors[pk, 2]
        )
        cos[t] = dot / (r[pj] * r[pk])
    for c in range(X.shape[0] if radial else 0):
        if narrow:
            for t in range(n):
                X[c, t] = P[tp[t], c] * P[tq[t], c] * P[to[t], c]
        else:
            for t in range(n):
                X[c, t] = P[tp[t], c] * P[tq[t], c]
    for a in range(len(lambdas)):
        lam, zeta = lambdas[a], zetas[a]
        norm = 2.0 ** (1.0 - zeta)
        base, lower = A[a], dA[a]  # filled in place: base, then base^(zeta - 1)
        for t in range(n):
            base[t] = max(1.0 + lam * cos[t], 0.0)
        if zeta == np.floor(zeta):
            lower[:n] = 1.0
            for _ in range(int(zeta) - 1):
                for t in range(n):
                    lower[t] *= base[t]
        else:
            for t in range(n):
                lower[t] = base[t] ** (zeta - 1.0)
        for t in range(n):
            b, low = base[t], lower[t]
            A[a, t] = norm * low * b
            dA[a, t] = norm * zeta * lam * low if b > 0.0 else 0.0


@numba.njit(nogil=True, cache=True, fastmath={"reassoc", "contract"})
def angular_forward(
    vectors, r, P, neighbors, codes, atoms, rows, starts, block_counts, e1, e2, narrow, max_squared, lambdas,
    zetas, a_of, x_of, columns, out, tp, tq, to, counts, work,
):  # fmt: skip
    """Angular functions of one group for the centres ``atoms`` (see the module docstring).

    ``P`` (pairs, n_radial): the group's radial factors; ``lambdas, zetas`` (n_angular):
    its angular factors; function k is ``A[a_of[k]] X[x_of[k]]`` summed over triples,
    written to ``out[row, columns[k]]``. The triples are kept for :func:`angular_backward`:
    those of ``atoms[c]`` follow those of the earlier centres in ``tp, tq, to``, and
    ``counts[c]`` says how many there are.
    """
    nx, na = P.shape[1], len(lambdas)
    cos, X, A, dA = work[0], work[1 : 1 + nx], work[1 + nx : 1 + nx + na], work[1 + nx + na : 1 + nx + 2 * na]
    head = np.full(len(starts), -1, np.int64)
    chain = np.empty(max(block_counts[:, e2].max(), 1), np.int64)
    start = 0
    for c, i in enumerate(atoms):
        n = centre_triples(
            i, r, neighbors, codes, starts, block_counts, e1, e2, e1 == e2, narrow, max_squared, head, chain,
            tp[start:], tq[start:], to[start:],
        )  # fmt: skip
        counts[c] = n
        end = start + n
        centre_factors(
            vectors, r, P, narrow, tp[start:end], tq[start:end], to[start:end], lambdas, zetas, cos, X, A, dA
        )
        start = end
        for k in range(len(columns)):
            a, x = a_of[k], x_of[k]
            s = 0.0
            for t in range(n):
                s += A[a, t] * X[x, t]
            out[rows[i], columns[k]] = s


# long: the chain rule of one triple through its three sides, written out once in one compiled loop
@numba.njit(nogil=True, cache=True, fastmath={"reassoc", "contract"})
def angular_backward(
    vectors, r, P, dP, narrow, atoms, rows, lambdas, zetas, a_of, x_of, columns, w, tp, tq, to, counts, work,
    grad, along, along_third,
):  # fmt: skip
    """Add ∂E/∂D of one angular group's terms, to be assembled by :meth:`DescriptorLoops.backward`.

    ∂E/∂D_p = ``grad[p] + (along[p] + along_third[p]) D_p``: the sides i → j and i → k add
    the other side's direction to ``grad`` and a multiple of their own to ``along``; the
    third side j → k adds a multiple of its own to ``along_third`` (per thread: it is
    another centre's pair). ``w`` (atoms' rows, functions): ∂E/∂G; ``dP``: the radial
    factors' derivatives; the triples and the rest as :func:`angular_forward` left them.
    The formulas are those of :class:`~nnp_tutorial.descriptors.graph.AngularTerms`.
    """
    nx, na = P.shape[1], len(lambdas)
    cos, X, A, dA = work[0], work[1 : 1 + nx], work[1 + nx : 1 + nx + na], work[1 + nx + na : 1 + nx + 2 * na]
    g_radial = work[1 + nx + 2 * na : 1 + 2 * nx + 2 * na]  # dE/dX
    last = 1 + 2 * nx + 2 * na
    s_cos, s_ij, s_ik, s_jk = work[last], work[last + 1], work[last + 2], work[last + 3]
    start = 0
    for c, i in enumerate(atoms):
        n = counts[c]
        p, q, o = tp[start : start + n], tq[start : start + n], to[start : start + n]
        start += n
        centre_factors(vectors, r, P, narrow, p, q, o, lambdas, zetas, cos, X, A, dA, False)
        g_radial[:, :n] = 0.0
        for k in range(len(columns)):
            a, x, wk = a_of[k], x_of[k], w[rows[i], columns[k]]
            for t in range(n):
                g_radial[x, t] += wk * A[a, t]
        s_ij[:n] = 0.0
        s_ik[:n] = 0.0
        s_jk[:n] = 0.0
        for x in range(nx):
            if narrow:
                for t in range(n):
                    g, pij, pik, pjk = g_radial[x, t], P[p[t], x], P[q[t], x], P[o[t], x]
                    X[x, t] = pij * pik * pjk
                    s_ij[t] += g * dP[p[t], x] * pik * pjk
                    s_ik[t] += g * pij * dP[q[t], x] * pjk
                    s_jk[t] += g * pij * pik * dP[o[t], x]
            else:
                for t in range(n):
                    g, pij, pik = g_radial[x, t], P[p[t], x], P[q[t], x]
                    X[x, t] = pij * pik
                    s_ij[t] += g * dP[p[t], x] * pik
                    s_ik[t] += g * pij * dP[q[t], x]
        s_cos[:n] = 0.0
        for k in range(len(columns)):
            a, x, wk = a_of[k], x_of[k], w[rows[i], columns[k]]
            for t in range(n):
                s_cos[t] += wk * dA[a, t] * X[x, t]
        for t in range(n):
            pj, pk = p[t], q[t]
            rij, rik = r[pj], r[pk]
            inverse = s_cos[t] / (rij * rik)
            along[pj] += s_ij[t] / rij - s_cos[t] * cos[t] / (rij * rij)
            along[pk] += s_ik[t] / rik - s_cos[t] * cos[t] / (rik * rik)
            for d in range(3):
                grad[pj, d] += inverse * vectors[pk, d]
                grad[pk, d] += inverse * vectors[pj, d]
            if narrow:
                along_third[o[t]] += s_jk[t] / r[o[t]]


@numba.njit(nogil=True, cache=True)
def forces_and_virial(grad, vectors, centers, neighbors, n_atoms):
    """Forces (n_atoms, 3) and ``sum_p D_p ⊗ g_p`` (3, 3) from ∂E/∂D_p (see :mod:`nnp_tutorial.model`)."""
    forces = np.zeros((n_atoms, 3))
    virial = np.zeros((3, 3))
    for p in range(len(centers)):
        for d in range(3):
            forces[centers[p], d] += grad[p, d]
            forces[neighbors[p], d] -= grad[p, d]
            for e in range(3):
                virial[d, e] += vectors[p, d] * grad[p, e]
    return forces, virial
