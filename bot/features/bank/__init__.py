"""Guild question banks: moderators add, edit, review, import and export questions (/bank)."""
