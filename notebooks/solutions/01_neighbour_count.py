# ruff: noqa: F821  (runs inside notebook 01, whose names it uses)
# Exercise 3 of notebook 01: H neighbours of oxygen 0 within the cutoff, counted and expected.
n_hydrogen = int(hydrogen.sum())  # from the hand check of section 3 (periodic images included)
number_density = np.count_nonzero(first.numbers == 1) / first.get_volume()  # H atoms per Å³
expected = number_density * 4 / 3 * np.pi * descriptor.cutoff**3
print(f"counted {n_hydrogen} H within {descriptor.cutoff:.2f} Å; a uniform fluid would give {expected:.1f}")
