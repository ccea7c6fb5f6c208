"""One module per component type. Each provides the same small protocol:

- ``add_to_model(m, ctx)``: a Pyomo Block ``m.<name>`` with its variables and own constraints;
- ``balance_terms(m, ctx) -> list[Term]``: its terms in the water balance of its nodes;
- ``balance_rhs(ctx) -> dict[node, array]``: constants it moves to the balance's right side;
- ``objective(m, ctx)``: its contribution to the objective (million USD, or priority weights);
- ``extract(m, ctx, sol) -> dict[str, DataArray]``: its results.
"""
