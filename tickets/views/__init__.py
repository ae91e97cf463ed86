"""The agent workspace and the customer portal: views by page family."""
