"""Batch evaluation: questions in (questions), answered through the bot's own ask path (run),
numbers out (metrics, summary), a threshold chosen from labels (calibrate), and an HTML report
with charts (report). Data in, numbers out: nothing here prints, parses arguments or edits files
other than the results it is asked to write."""
