"""Subsidy (扶贫资金): programs, ledger, payments through partner banks."""
