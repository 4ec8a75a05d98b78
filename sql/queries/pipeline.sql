-- The board's stages, as admins shape them (SPEC F3). Stage and task-type inserts are in tasks.sql.


-- name: stages_shift_from
UPDATE pipeline_stages SET position = position + 1
WHERE organization_id = %(organization_id)s AND position >= %(position)s

-- name: stage_rename
UPDATE pipeline_stages SET name = %(name)s, slug = %(slug)s WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: stage_set_wip_limit
UPDATE pipeline_stages SET wip_limit = %(wip_limit)s WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: stage_set_position
UPDATE pipeline_stages SET position = %(position)s WHERE organization_id = %(organization_id)s AND id = %(id)s

-- name: stage_task_count
SELECT count(*) FROM tasks WHERE organization_id = %(organization_id)s AND stage_id = %(stage_id)s

-- name: stage_move_tasks
UPDATE tasks SET stage_id = %(to_stage_id)s WHERE organization_id = %(organization_id)s AND stage_id = %(from_stage_id)s

-- name: stage_delete
DELETE FROM pipeline_stages WHERE organization_id = %(organization_id)s AND id = %(id)s
