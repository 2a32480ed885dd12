"""The wire layer every requester call goes through: AWS JSON 1.1 (`protocol`), SigV4
(`auth`), botocore's model (`validation`), MTurk's error shapes (`errors`), MTurk-shaped ids,
call stats, injected faults and the work gate. It knows no operation and no model behaviour."""
