"""Eligibility (精准识别): policies as data, explained assessments."""
