#!/bin/bash
# tests/e2e/sendmail/test_ratelimit.sh - tests/e2e/test_ratelimit.sh through
# the private Sendmail of tests/e2e/smlab.sh instead of Postfix (tests/e2e/mta.sh).
E2E_MTA=sendmail exec bash "$(dirname "$0")/../test_ratelimit.sh" "$@"
